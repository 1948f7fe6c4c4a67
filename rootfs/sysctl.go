package rootfs

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// sysctlPath maps a sysctl name to its file under /proc/sys, following
// sysctl(8): in the dotted form ("net.ipv4.ip_forward") a "/" stands for a
// dot inside one component ("net.ipv4.conf.eth0/100.forwarding" is
// interface eth0.100); a name whose first separator is "/" is already a
// path ("net/ipv4/conf/eth0.100/forwarding"). Empty, "." and ".."
// components are refused, so no name leads out of /proc/sys.
func sysctlPath(name string) (string, error) {
	i := strings.IndexAny(name, "./")
	var parts []string
	if i >= 0 && name[i] == '/' {
		parts = strings.Split(name, "/")
	} else {
		parts = strings.Split(name, ".")
		for j, p := range parts {
			parts[j] = strings.ReplaceAll(p, "/", ".")
		}
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("sysctl name %q: empty, \".\" or \"..\" component", name)
		}
	}
	return "/proc/sys/" + strings.Join(parts, "/"), nil
}

// writeSysctls writes each value to its /proc/sys file, in name order so
// that a failure is reproducible. The container's /proc must be mounted
// on /proc (Setup calls this after pivot_root) and writable, that is, not
// yet covered by the read-only /proc/sys of spec.Linux.ReadonlyPaths.
func writeSysctls(sysctl map[string]string) error {
	names := make([]string, 0, len(sysctl))
	for n := range sysctl {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path, err := sysctlPath(n)
		if err != nil {
			return err
		}
		// No O_CREATE: a name the kernel does not know must fail, not
		// leave a file behind.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("write sysctl %s=%q: %w", n, sysctl[n], err)
		}
		_, err = f.WriteString(sysctl[n])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write sysctl %s=%q: %w", n, sysctl[n], err)
		}
	}
	return nil
}

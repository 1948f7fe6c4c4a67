package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// debianPackage names the Debian package that provides each program the
// benchmark runs but does not ship.
var debianPackage = map[string]string{
	"runc":               "runc",
	"crun":               "crun",
	"qemu-system-x86_64": "qemu-system-x86",
	"unshare":            "util-linux",
	"busybox":            "busybox-static",
	"apt-cache":          "apt",
	"dpkg-deb":           "dpkg",
}

// Tools are the paths of the programs found; a missing one is "".
type Tools struct {
	Runc, Crun, Qemu, Unshare string
}

// findTools looks the programs up in PATH, and in the sbin directories
// that a non-login root shell may lack (Debian installs runc in
// /usr/sbin).
func findTools() Tools {
	return Tools{
		Runc:    lookPath("runc"),
		Crun:    lookPath("crun"),
		Qemu:    lookPath("qemu-system-x86_64"),
		Unshare: lookPath("unshare"),
	}
}

func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// missingReason says what to do about a program that is not installed.
func missingReason(name string) string {
	pkg := debianPackage[name]
	if pkg == "" {
		return name + " not found"
	}
	return fmt.Sprintf("%s not found: apt-get install %s (or run husk bench --install)", name, pkg)
}

// missingPackages returns the Debian packages of the programs the run
// would use but does not find, sorted.
func missingPackages(t Tools, wantVM bool) []string {
	set := map[string]bool{}
	check := func(path, name string) {
		if path == "" {
			set[debianPackage[name]] = true
		}
	}
	check(t.Runc, "runc")
	check(t.Crun, "crun")
	check(t.Unshare, "unshare")
	if wantVM {
		check(t.Qemu, "qemu-system-x86_64")
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// installPackages installs Debian packages with apt-get, the only place
// the benchmark downloads from.
func installPackages(ctx context.Context, pkgs []string, log io.Writer) error {
	if len(pkgs) == 0 {
		return nil
	}
	fmt.Fprintf(log, "installing %s\n", strings.Join(pkgs, " "))
	cmd := exec.CommandContext(ctx, "apt-get", append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get install %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}

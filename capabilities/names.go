package capabilities

import (
	"fmt"
	"strings"
)

// capNames is indexed by capability number, as in
// include/uapi/linux/capability.h. names_linux_test.go checks it against
// the constants in golang.org/x/sys/unix.
var capNames = [...]string{
	0:  "CAP_CHOWN",
	1:  "CAP_DAC_OVERRIDE",
	2:  "CAP_DAC_READ_SEARCH",
	3:  "CAP_FOWNER",
	4:  "CAP_FSETID",
	5:  "CAP_KILL",
	6:  "CAP_SETGID",
	7:  "CAP_SETUID",
	8:  "CAP_SETPCAP",
	9:  "CAP_LINUX_IMMUTABLE",
	10: "CAP_NET_BIND_SERVICE",
	11: "CAP_NET_BROADCAST",
	12: "CAP_NET_ADMIN",
	13: "CAP_NET_RAW",
	14: "CAP_IPC_LOCK",
	15: "CAP_IPC_OWNER",
	16: "CAP_SYS_MODULE",
	17: "CAP_SYS_RAWIO",
	18: "CAP_SYS_CHROOT",
	19: "CAP_SYS_PTRACE",
	20: "CAP_SYS_PACCT",
	21: "CAP_SYS_ADMIN",
	22: "CAP_SYS_BOOT",
	23: "CAP_SYS_NICE",
	24: "CAP_SYS_RESOURCE",
	25: "CAP_SYS_TIME",
	26: "CAP_SYS_TTY_CONFIG",
	27: "CAP_MKNOD",
	28: "CAP_LEASE",
	29: "CAP_AUDIT_WRITE",
	30: "CAP_AUDIT_CONTROL",
	31: "CAP_SETFCAP",
	32: "CAP_MAC_OVERRIDE",
	33: "CAP_MAC_ADMIN",
	34: "CAP_SYSLOG",
	35: "CAP_WAKE_ALARM",
	36: "CAP_BLOCK_SUSPEND",
	37: "CAP_AUDIT_READ",
	38: "CAP_PERFMON",
	39: "CAP_BPF",
	40: "CAP_CHECKPOINT_RESTORE",
}

// capNumbers maps each canonical name to its number.
var capNumbers = func() map[string]int {
	m := make(map[string]int, len(capNames))
	for n, name := range capNames {
		m[name] = n
	}
	return m
}()

// Default is the set Docker grants a container when none is configured,
// in Docker's order. Callers must not modify it.
var Default = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
}

// lookup returns the number of a capability name given with or without
// the "CAP_" prefix, in any case.
func lookup(name string) (int, bool) {
	canon := strings.ToUpper(name)
	if !strings.HasPrefix(canon, "CAP_") {
		canon = "CAP_" + canon
	}
	n, ok := capNumbers[canon]
	return n, ok
}

// Known reports whether name is a capability in the table, with or
// without the "CAP_" prefix, in any case. It says nothing about whether the
// running kernel supports it; see Unsupported for that.
func Known(name string) bool {
	_, ok := lookup(name)
	return ok
}

// Parse returns the numbers of the named capabilities in the order given,
// without duplicates. An unknown name is an error that quotes it.
func Parse(names []string) ([]int, error) {
	nums := make([]int, 0, len(names))
	var seen uint64
	for _, name := range names {
		n, ok := lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown capability %q", name)
		}
		if seen&(1<<n) == 0 {
			seen |= 1 << n
			nums = append(nums, n)
		}
	}
	return nums, nil
}

// Name returns the canonical name of capability number n, such as
// "CAP_CHOWN". A number past the table, which a newer kernel may know, is
// rendered as "CAP_<n>"; Parse does not accept that form.
func Name(n int) string {
	if n >= 0 && n < len(capNames) {
		return capNames[n]
	}
	return fmt.Sprintf("CAP_%d", n)
}

// mask returns the bit set of nums.
func mask(nums []int) uint64 {
	var m uint64
	for _, n := range nums {
		m |= 1 << n
	}
	return m
}

// names returns the names of the bits set in m, lowest number first.
func names(m uint64) []string {
	var out []string
	for n := 0; n < 64; n++ {
		if m&(1<<n) != 0 {
			out = append(out, Name(n))
		}
	}
	return out
}

// All returns the name of every capability this package knows, in number
// order, for `huskrt features`.
func All() []string {
	out := make([]string, 0, 64)
	for n := 0; ; n++ {
		name := Name(n)
		if !Known(name) {
			return out
		}
		out = append(out, name)
	}
}

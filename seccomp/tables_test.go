package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestTables spot-checks the generated tables against numbers from the
// kernel's syscall_*.tbl files, chosen where the ABIs differ most.
func TestTables(t *testing.T) {
	cases := []struct {
		arch specs.Arch
		nums map[string]uint32
		none []string // names the arch must not have
	}{
		{specs.ArchX86_64, map[string]uint32{
			"read": 0, "getpid": 39, "mkdir": 83, "personality": 135, "arch_prctl": 158,
			"newfstatat": 262, "clone3": 435, "set_mempolicy_home_node": 450,
			"cachestat": 451, "map_shadow_stack": 453, "mseal": 462, "listns": 470,
		}, []string{"socketcall", "mmap2", "fcntl64", "_llseek"}},
		{specs.ArchX86, map[string]uint32{
			"exit": 1, "read": 3, "getpid": 20, "mkdir": 39, "socketcall": 102,
			"personality": 136, "mmap2": 192, "fcntl64": 221, "socket": 359,
			"clock_gettime64": 403, "clone3": 435, "fchmodat2": 452,
		}, []string{"newfstatat", "epoll_ctl_old", "tuxcall"}},
		{specs.ArchX32, map[string]uint32{
			"read": x32Bit, "getpid": x32Bit + 39, "rt_sigaction": x32Bit + 512,
			"execve": x32Bit + 520, "clone3": x32Bit + 435, "fchmodat2": x32Bit + 452,
		}, []string{"map_shadow_stack", "socketcall", "uselib"}},
		{specs.ArchAARCH64, map[string]uint32{
			"io_setup": 0, "fcntl": 25, "renameat": 38, "openat": 56, "read": 63,
			"newfstatat": 79, "fstat": 80, "exit_group": 94, "getpid": 172,
			"clone": 220, "execve": 221, "mmap": 222, "clone3": 435, "memfd_secret": 447,
			"cachestat": 451,
		}, []string{"open", "fork", "stat", "lstat", "fcntl64", "syscalls",
			"arch_specific_syscall", "clock_gettime64"}},
	}
	for _, c := range cases {
		table := lookupArch(c.arch).table()
		for name, want := range c.nums {
			if got, ok := table[name]; !ok || got != want {
				t.Errorf("%s %s = %d (present %v), want %d", c.arch, name, got, ok, want)
			}
		}
		for _, name := range c.none {
			if nr, ok := table[name]; ok {
				t.Errorf("%s has %s = %d, want none", c.arch, name, nr)
			}
		}
		seen := map[uint32]string{}
		for name, nr := range table {
			if other, dup := seen[nr]; dup {
				t.Errorf("%s: %s and %s share number %d", c.arch, name, other, nr)
			}
			seen[nr] = name
			if (c.arch == specs.ArchX32) != (nr&x32Bit != 0) {
				t.Errorf("%s %s = %#x: x32 bit is wrong", c.arch, name, nr)
			}
		}
	}
}

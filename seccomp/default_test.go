package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDefaultProfile(t *testing.T) {
	prof := DefaultProfile()
	p := compileOn(t, prof)
	if len(p.Unknown) != 0 {
		t.Errorf("names no arch knows: %q", p.Unknown)
	}
	t.Logf("%d instructions", len(p.Filter))
	prof.Syscalls[0].Names[0] = "changed"
	if DefaultProfile().Syscalls[0].Names[0] == "changed" {
		t.Error("DefaultProfile shares its name list between calls")
	}
	eperm := uint32(retErrno | 1)
	for _, ar := range allX86 {
		a := lookupArch(ar)
		check := func(name string, args [6]uint64, want uint32) {
			t.Helper()
			nr, ok := a.table()[name]
			if !ok {
				return
			}
			if got := run(t, p.Filter, input{arch: a.audit, nr: nr, args: args}); got != want {
				t.Errorf("%s %s%#x: got %#x, want %#x", ar, name, args, got, want)
			}
		}
		for _, name := range defaultAllowed {
			check(name, [6]uint64{}, retAllow)
		}
		for _, name := range []string{"mount", "umount2", "unshare", "setns", "bpf",
			"init_module", "reboot", "swapon", "settimeofday", "syslog", "kexec_load",
			"open_by_handle_at", "perf_event_open", "keyctl", "add_key", "userfaultfd"} {
			check(name, [6]uint64{}, eperm)
		}
		check("clone3", [6]uint64{}, retErrno|38)
		check("clone", [6]uint64{0x3d0f00}, retAllow)         // a thread
		check("clone", [6]uint64{0x11 | 0x20000}, eperm)      // CLONE_NEWNS
		check("clone", [6]uint64{0x11 | 0x10000000}, eperm)   // CLONE_NEWUSER
		check("socket", [6]uint64{2, 1}, retAllow)            // AF_INET
		check("socket", [6]uint64{40, 1}, eperm)              // AF_VSOCK
		check("personality", [6]uint64{8}, retAllow)          // PER_LINUX32
		check("personality", [6]uint64{0xffffffff}, retAllow) // query
		check("personality", [6]uint64{0x0400000}, eperm)     // READ_IMPLIES_EXEC
		// x86 sees only the low half of the argument, which is allowed.
		high := eperm
		if !a.wide {
			high = retAllow
		}
		check("personality", [6]uint64{0x1_0000_0008}, high)
	}
	if got := run(t, p.Filter, input{arch: auditArchAArch64, nr: 172}); got != retBadArch {
		t.Errorf("aarch64 getpid: got %#x, want bad-arch", got)
	}
	if prof.DefaultAction != specs.ActErrno {
		t.Errorf("default action %s", prof.DefaultAction)
	}
}

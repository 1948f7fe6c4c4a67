package seccomp

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var allX86 = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}

func TestCompileVerdicts(t *testing.T) {
	p := compileOn(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: allX86,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "rmdir"}, Action: specs.ActErrno, ErrnoRet: uptr(13)},
			{Names: []string{"getpid", "nosuchcall"}, Action: specs.ActAllow},
			{Names: []string{"getppid"}, Action: specs.ActKillProcess},
			{Names: []string{"gettid"}, Action: specs.ActKill},
			{Names: []string{"uname"}, Action: specs.ActTrap},
			{Names: []string{"sync"}, Action: specs.ActTrace, ErrnoRet: uptr(7)},
			{Names: []string{"getuid"}, Action: specs.ActLog},
			{Names: []string{"socketcall"}, Action: specs.ActAllow}, // x86 only
		},
	})
	if want := []string{"nosuchcall"}; !reflect.DeepEqual(p.Unknown, want) {
		t.Errorf("Unknown = %q, want %q", p.Unknown, want)
	}
	if p.Flags != 0 {
		t.Errorf("Flags = %#x, want 0", p.Flags)
	}
	cases := []struct {
		arch specs.Arch
		name string
		want uint32
	}{
		{specs.ArchX86_64, "mkdir", retErrno | 13},
		{specs.ArchX86_64, "rmdir", retErrno | 13},
		{specs.ArchX86_64, "getpid", retAllow},
		{specs.ArchX86_64, "getppid", retKillProcess},
		{specs.ArchX86_64, "gettid", retKillThread},
		{specs.ArchX86_64, "uname", retTrap},
		{specs.ArchX86_64, "sync", retTrace | 7},
		{specs.ArchX86_64, "getuid", retLog},
		{specs.ArchX86_64, "read", retErrno | 1},
		{specs.ArchX86, "mkdir", retErrno | 13},
		{specs.ArchX86, "getpid", retAllow},
		{specs.ArchX86, "socketcall", retAllow},
		{specs.ArchX86, "read", retErrno | 1},
		{specs.ArchX32, "mkdir", retErrno | 13},
		{specs.ArchX32, "getpid", retAllow},
		{specs.ArchX32, "read", retErrno | 1},
	}
	for _, c := range cases {
		in := input{arch: lookupArch(c.arch).audit, nr: nr(t, c.arch, c.name)}
		if got := run(t, p.Filter, in); got != c.want {
			t.Errorf("%s %s: got %#x, want %#x", c.arch, c.name, got, c.want)
		}
	}
	// A syscall number no table has gets the default action.
	if got := run(t, p.Filter, input{arch: auditArchX86_64, nr: 4000}); got != retErrno|1 {
		t.Errorf("x86_64 nr 4000: got %#x, want the default", got)
	}
	// An architecture the profile does not list is killed.
	if got := run(t, p.Filter, input{arch: auditArchAArch64, nr: 172}); got != retBadArch {
		t.Errorf("aarch64 getpid: got %#x, want bad-arch %#x", got, retBadArch)
	}
}

func TestArchCoverage(t *testing.T) {
	getpid := specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActAllow}
	x32 := input{arch: auditArchX86_64, nr: x32Bit | 39}
	amd64 := input{arch: auditArchX86_64, nr: 39}
	i386 := input{arch: auditArchI386, nr: 20}
	cases := []struct {
		archs             []specs.Arch
		x86_64, x86, xx32 uint32
	}{
		// The native arch is always covered, even when unlisted.
		{nil, retAllow, retBadArch, retBadArch},
		{[]specs.Arch{specs.ArchX86}, retAllow, retAllow, retBadArch},
		{[]specs.Arch{specs.ArchX32}, retAllow, retBadArch, retAllow},
		{allX86, retAllow, retAllow, retAllow},
		{[]specs.Arch{specs.ArchX32, specs.ArchX32, specs.ArchX86_64}, retAllow, retBadArch, retAllow},
	}
	for _, c := range cases {
		p := compileOn(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno, Architectures: c.archs,
			Syscalls: []specs.LinuxSyscall{getpid},
		})
		for _, io := range []struct {
			in   input
			want uint32
		}{{amd64, c.x86_64}, {i386, c.x86}, {x32, c.xx32}} {
			if got := run(t, p.Filter, io.in); got != io.want {
				t.Errorf("archs %v, %v: got %#x, want %#x", c.archs, io.in, got, io.want)
			}
		}
	}
	// An aarch64 host covers aarch64 and, when listed, x32 without x86_64.
	p, err := compileFor(&specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{getpid},
	}, lookupArch(specs.ArchAARCH64))
	if err != nil {
		t.Fatal(err)
	}
	validate(t, p.Filter)
	for _, io := range []struct {
		in   input
		want uint32
	}{
		{input{arch: auditArchAArch64, nr: 172}, retAllow},
		{x32, retAllow},
		{amd64, retBadArch},
	} {
		if got := run(t, p.Filter, io.in); got != io.want {
			t.Errorf("aarch64 host, %v: got %#x, want %#x", io.in, got, io.want)
		}
	}
}

func TestUnknownNames(t *testing.T) {
	prof := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getpid", "nosuchcall", "open", "nosuchcall"}, Action: specs.ActErrno},
		},
	}
	for _, c := range []struct {
		native specs.Arch
		archs  []specs.Arch
		want   []string
	}{
		{specs.ArchX86_64, nil, []string{"nosuchcall"}},
		{specs.ArchAARCH64, nil, []string{"nosuchcall", "open"}}, // arm64 has only openat
		{specs.ArchAARCH64, []specs.Arch{specs.ArchX86}, []string{"nosuchcall"}},
	} {
		prof.Architectures = c.archs
		p, err := compileFor(prof, lookupArch(c.native))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Unknown, c.want) {
			t.Errorf("native %s, archs %v: Unknown = %q, want %q", c.native, c.archs, p.Unknown, c.want)
		}
	}
}

func TestRuleOrder(t *testing.T) {
	eq := func(v uint64) []specs.LinuxSeccompArg {
		return []specs.LinuxSeccompArg{{Index: 0, Value: v, Op: specs.OpEqualTo}}
	}
	p := compileOn(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			// An unconditional rule listed first still lets the
			// conditional ones of the same syscall be tried first.
			{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(1)},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: eq(8)},
			{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(2), Args: eq(9)},
			// A second unconditional rule loses to the first.
			{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(3)},
			// Two args of one rule are ANDed; two rules are ORed.
			{
				Names: []string{"kill"}, Action: specs.ActErrno, ErrnoRet: uptr(4),
				Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: 1, Op: specs.OpEqualTo},
					{Index: 1, Value: 9, Op: specs.OpEqualTo},
				},
			},
			{Names: []string{"kill"}, Action: specs.ActErrno, ErrnoRet: uptr(4), Args: eq(7)},
			// The first matching conditional rule wins.
			{Names: []string{"dup"}, Action: specs.ActErrno, ErrnoRet: uptr(5), Args: eq(1)},
			{
				Names: []string{"dup"}, Action: specs.ActErrno, ErrnoRet: uptr(6),
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 5, Op: specs.OpLessThan}},
			},
		},
	})
	pers, kill, dup := uint32(135), uint32(62), uint32(32)
	for _, c := range []struct {
		nr   uint32
		args [6]uint64
		want uint32
	}{
		{pers, [6]uint64{8}, retAllow},
		{pers, [6]uint64{9}, retErrno | 2},
		{pers, [6]uint64{0}, retErrno | 1},
		{kill, [6]uint64{1, 9}, retErrno | 4},
		{kill, [6]uint64{1, 8}, retAllow},
		{kill, [6]uint64{2, 9}, retAllow},
		{kill, [6]uint64{7, 0}, retErrno | 4},
		{dup, [6]uint64{1}, retErrno | 5},
		{dup, [6]uint64{2}, retErrno | 6},
		{dup, [6]uint64{5}, retAllow},
	} {
		in := input{arch: auditArchX86_64, nr: c.nr, args: c.args}
		if got := run(t, p.Filter, in); got != c.want {
			t.Errorf("%v: got %#x, want %#x", in, got, c.want)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, c := range []struct {
		flags []specs.LinuxSeccompFlag
		want  uint
	}{
		{nil, 0},
		{[]specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}, 1},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}, 6},
		// Meaningless without a listener, and refused by the kernel alone.
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, 0},
	} {
		p := compileOn(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: c.flags})
		if p.Flags != c.want {
			t.Errorf("flags %q: got %#x, want %#x", c.flags, p.Flags, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	ok := specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActAllow}
	cases := []struct {
		name string
		prof specs.LinuxSeccomp
		want []string // substrings of the error
	}{
		{"no default", specs.LinuxSeccomp{}, []string{"defaultAction", "empty"}},
		{"bad default", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_MAYBE"},
			[]string{"defaultAction", `"SCMP_ACT_MAYBE"`}},
		{"notify default", specs.LinuxSeccomp{DefaultAction: specs.ActNotify},
			[]string{"defaultAction", "SCMP_ACT_NOTIFY", "listenerPath"}},
		{"listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/l.sock"},
			[]string{"listenerPath", `"/run/l.sock"`}},
		{"errno on allow", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, DefaultErrnoRet: uptr(1)},
			[]string{"defaultAction", "errnoRet", "SCMP_ACT_ALLOW"}},
		{"errno too big", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(5000)},
			[]string{"defaultAction", "5000"}},
		{"flag", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_X"}},
			[]string{"flags[0]", `"SECCOMP_FILTER_FLAG_X"`}},
		{"new listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_NEW_LISTENER"}},
			[]string{"flags[0]", "NEW_LISTENER", "not supported"}},
		{"arch", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, specs.ArchS390X}},
			[]string{"architectures[1]", `"SCMP_ARCH_S390X"`}},
		{"no names", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{ok, {Action: specs.ActAllow}}},
			[]string{"syscalls[1]", "names is empty"}},
		{"empty name", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", ""}, Action: specs.ActAllow}}},
			[]string{"syscalls[0]", `"read" and 1 more`, "names[1]"}},
		{"notify", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mount"}, Action: specs.ActNotify}}},
			[]string{"syscalls[0]", `"mount"`, "SCMP_ACT_NOTIFY", "listener"}},
		{"action", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mount"}, Action: "ALLOW"}}},
			[]string{"syscalls[0]", `"mount"`, `unknown action "ALLOW"`}},
		{"trace errno", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mount"}, Action: specs.ActTrace, ErrnoRet: uptr(70000)}}},
			[]string{"syscalls[0]", `"mount"`, "70000"}},
		{"arg index", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mount"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
				{Index: 1, Op: specs.OpEqualTo}, {Index: 6, Op: specs.OpEqualTo}}}}},
			[]string{"syscalls[0]", `"mount"`, "args[1]", "index 6"}},
		{"arg op", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mount"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
				{Index: 1, Op: "SCMP_CMP_MASKED_NE"}}}}},
			[]string{"syscalls[0]", `"mount"`, "args[0]", `"SCMP_CMP_MASKED_NE"`}},
	}
	for _, c := range cases {
		_, err := compileFor(&c.prof, lookupArch(specs.ArchX86_64))
		if err == nil {
			t.Errorf("%s: compiled, want an error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
	if _, err := compileFor(nil, lookupArch(specs.ArchX86_64)); err == nil {
		t.Error("nil profile compiled")
	}
	if _, err := compileFor(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, nil); err == nil {
		t.Error("compiled without a native arch")
	}
}

func TestFeatures(t *testing.T) {
	f := Features()
	if f.Enabled == nil {
		t.Fatal("Enabled is nil")
	}
	for _, want := range []struct {
		list []string
		item string
	}{
		{f.Actions, "SCMP_ACT_KILL_PROCESS"},
		{f.Operators, "SCMP_CMP_MASKED_EQ"},
		{f.Archs, "SCMP_ARCH_X32"},
		{f.KnownFlags, "SECCOMP_FILTER_FLAG_TSYNC"},
	} {
		if !strings.Contains(strings.Join(want.list, " "), want.item) {
			t.Errorf("%q lacks %s", want.list, want.item)
		}
	}
	if strings.Contains(fmt.Sprint(f.Actions), "NOTIFY") {
		t.Errorf("Actions %q offer SCMP_ACT_NOTIFY, which Compile refuses", f.Actions)
	}
	// Everything advertised must compile.
	for _, a := range f.Actions {
		prof := &specs.LinuxSeccomp{DefaultAction: specs.LinuxSeccompAction(a)}
		for _, fl := range f.KnownFlags {
			prof.Flags = append(prof.Flags, specs.LinuxSeccompFlag(fl))
		}
		for _, ar := range f.Archs {
			prof.Architectures = append(prof.Architectures, specs.Arch(ar))
		}
		for _, op := range f.Operators {
			prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{
				Names: []string{"read"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 2, Value: 3, Op: specs.LinuxSeccompOperator(op)}},
			})
		}
		compileOn(t, prof)
	}
	if f.SupportedFlags == nil {
		t.Error("SupportedFlags is nil")
	}
	t.Logf("supported flags: %q", f.SupportedFlags)
}

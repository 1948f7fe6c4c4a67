package seccomp

import (
	"fmt"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestAssemblerTrampolines(t *testing.T) {
	for _, gap := range []int{0, 1, 254, 255, 256, 257, 600, 5000} {
		a := &assembler{}
		far, far2, far3, far4, near := a.newLabel(), a.newLabel(), a.newLabel(), a.newLabel(), a.newLabel()
		a.ld(offNr)
		a.jmp(bpfJeqK, 1, far, fall)  // far only when taken
		a.jmp(bpfJgeK, 5, fall, far2) // far only when not taken
		a.jmp(bpfJeqK, 7, near, fall) // near
		a.jmp(bpfJgtK, 9, far3, far4) // far both ways
		a.bind(near)
		a.ret(200)
		for i := 0; i < gap; i++ {
			a.ret(uint32(1000 + i))
		}
		for i, l := range []label{far, far2, far3, far4} {
			a.bind(l)
			a.ret(uint32(300 + 100*i))
		}
		prog, err := a.assemble()
		if gap > maxInsns {
			if err == nil {
				t.Errorf("gap %d: assembled %d instructions, want an error", gap, len(prog))
			}
			continue
		}
		if err != nil {
			t.Fatalf("gap %d: %v", gap, err)
		}
		validate(t, prog)
		for nr, w := range map[uint32]uint32{1: 300, 3: 400, 7: 200, 10: 500, 6: 600} {
			if got := run(t, prog, input{nr: nr}); got != w {
				t.Errorf("gap %d nr %d: got %d, want %d", gap, nr, got, w)
			}
		}
		if gap < 250 && len(prog) != gap+10 {
			t.Errorf("gap %d: %d instructions, want no trampolines", gap, len(prog))
		}
	}
}

func TestAssemblerErrors(t *testing.T) {
	a := &assembler{}
	a.jmp(bpfJeqK, 1, a.newLabel(), fall)
	a.ret(0)
	if _, err := a.assemble(); err == nil {
		t.Error("jump to an unbound label assembled")
	}
	a = &assembler{}
	a.ret(0)
	a.bind(a.newLabel())
	if _, err := a.assemble(); err == nil {
		t.Error("label past the end assembled")
	}
}

// TestLongJumps compiles profiles far bigger than any real one: hundreds
// of syscalls with distinct verdicts and argument chains, so that jeq
// chunks and chain jumps span more than 255 instructions.
func TestLongJumps(t *testing.T) {
	names := sortedNames(sysX86_64())
	// x86_64 and x86: with x32 too the program would pass 4096 instructions.
	prof := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86}}
	wantFor := map[string]func(arg uint64) uint32{}
	for i, n := range names {
		errno := uint(i%300 + 1)
		switch i % 3 {
		case 0: // unconditional, one of 300 errnos
			prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{
				Names: []string{n}, Action: specs.ActErrno, ErrnoRet: uptr(errno),
			})
			wantFor[n] = func(uint64) uint32 { return retErrno | uint32(errno) }
		case 1: // one shared action, so that a chunk fills up
			prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{
				Names: []string{n}, Action: specs.ActKillProcess,
			})
			wantFor[n] = func(uint64) uint32 { return retKillProcess }
		default: // conditional: its chain sits far behind the jeqs
			prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{
				Names: []string{n}, Action: specs.ActErrno, ErrnoRet: uptr(errno),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: uint64(i), Op: specs.OpGreaterThan}},
			})
			wantFor[n] = func(arg uint64) uint32 {
				if arg > uint64(i) {
					return retErrno | uint32(errno)
				}
				return retAllow
			}
		}
	}
	// A chain of 100 rules is longer than a jump can skip.
	for k := uint64(1); k <= 100; k++ {
		prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{
			Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(400 + k)),
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: k, Op: specs.OpEqualTo}},
		})
	}
	p := compileOn(t, prof)
	for _, in := range []input{
		{arch: auditArchX86_64, nr: 135, args: [6]uint64{50}},
		{arch: auditArchI386, nr: 136, args: [6]uint64{50}},
	} {
		if got := run(t, p.Filter, in); got != retErrno|450 {
			t.Errorf("%v: got %#x, want errno 450", in, got)
		}
	}
	jas := 0
	for _, in := range p.Filter {
		if in.Code == bpfJa {
			jas++
		}
	}
	t.Logf("%d syscalls: %d instructions, %d of them BPF_JA", len(names), len(p.Filter), jas)
	for _, ar := range []specs.Arch{specs.ArchX86_64, specs.ArchX86} {
		a := lookupArch(ar)
		for name, nr := range a.table() {
			f, ok := wantFor[name]
			if !ok {
				f = func(uint64) uint32 { return retAllow }
			}
			for _, arg := range []uint64{0, 200, 1 << 40} {
				in := input{arch: a.audit, nr: nr, args: [6]uint64{0, arg}}
				w := f(arg)
				if !a.wide {
					w = f(arg & 0xffffffff)
				}
				if got := run(t, p.Filter, in); got != w {
					t.Fatalf("%s %s(%#x): got %#x, want %#x", ar, name, arg, got, w)
				}
			}
		}
	}
}

func sortedNames(table map[string]uint32) []string {
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	// Sort by number for a stable order across runs.
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && table[names[j]] < table[names[j-1]]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	return names
}

func ExampleCompile() {
	p, err := Compile(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "frobnicate"}, Action: specs.ActErrno},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(p.Filter) > 0, p.Unknown)
	// Output: true [frobnicate]
}

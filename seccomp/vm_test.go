package seccomp

import (
	"encoding/binary"
	"fmt"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// input is a struct seccomp_data the tests feed to the interpreter.
type input struct {
	arch uint32
	nr   uint32
	args [6]uint64
}

func (in input) String() string {
	return fmt.Sprintf("arch %#x nr %#x args %#x", in.arch, in.nr, in.args)
}

// bytes lays in out as the kernel does on a little-endian machine.
func (in input) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[offNr:], in.nr)
	binary.LittleEndian.PutUint32(b[offArch:], in.arch)
	for i, a := range in.args {
		binary.LittleEndian.PutUint64(b[offArgs+8*i:], a)
	}
	return b
}

// validate checks what the kernel's classic BPF checker would: known
// opcodes, aligned in-bounds loads, jumps that land inside the program, and
// a return at the end.
func validate(t *testing.T, prog []sockFilter) {
	t.Helper()
	if len(prog) == 0 || len(prog) > maxInsns {
		t.Fatalf("program has %d instructions", len(prog))
	}
	for pc, in := range prog {
		var targets []int
		switch in.Code {
		case bpfLdWAbs:
			if in.K%4 != 0 || in.K+4 > 64 {
				t.Fatalf("pc %d: load of seccomp_data offset %d", pc, in.K)
			}
		case bpfAndK, bpfRetK:
		case bpfJa:
			targets = []int{pc + 1 + int(in.K)}
		case bpfJeqK, bpfJgtK, bpfJgeK:
			targets = []int{pc + 1 + int(in.Jt), pc + 1 + int(in.Jf)}
		default:
			t.Fatalf("pc %d: unexpected opcode %#x", pc, in.Code)
		}
		for _, to := range targets {
			if to >= len(prog) {
				t.Fatalf("pc %d: jump to %d past the end (%d)", pc, to, len(prog))
			}
		}
	}
	if prog[len(prog)-1].Code != bpfRetK {
		t.Fatalf("last instruction %#x is no return", prog[len(prog)-1].Code)
	}
}

// run interprets prog on in and returns its verdict.
func run(t *testing.T, prog []sockFilter, in input) uint32 {
	t.Helper()
	data := in.bytes()
	var acc uint32
	for pc := 0; pc < len(prog); {
		i := prog[pc]
		pc++
		switch i.Code {
		case bpfLdWAbs:
			acc = binary.LittleEndian.Uint32(data[i.K:])
		case bpfAndK:
			acc &= i.K
		case bpfJa:
			pc += int(i.K)
		case bpfJeqK, bpfJgtK, bpfJgeK:
			var ok bool
			switch i.Code {
			case bpfJeqK:
				ok = acc == i.K
			case bpfJgtK:
				ok = acc > i.K
			default:
				ok = acc >= i.K
			}
			if ok {
				pc += int(i.Jt)
			} else {
				pc += int(i.Jf)
			}
		case bpfRetK:
			return i.K
		default:
			t.Fatalf("%v: pc %d: unexpected opcode %#x", in, pc-1, i.Code)
		}
	}
	t.Fatalf("%v: ran off the end of the program", in)
	return 0
}

// compileOn compiles p as Compile would on an x86_64 host, and validates
// the result.
func compileOn(t *testing.T, p *specs.LinuxSeccomp) *Program {
	t.Helper()
	prog, err := compileFor(p, lookupArch(specs.ArchX86_64))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	validate(t, prog.Filter)
	return prog
}

// nr returns the number of a syscall on arch a, failing when it has none.
func nr(t *testing.T, a specs.Arch, name string) uint32 {
	t.Helper()
	n, ok := lookupArch(a).table()[name]
	if !ok {
		t.Fatalf("%s has no syscall %q", a, name)
	}
	return n
}

func uptr(v uint) *uint { return &v }

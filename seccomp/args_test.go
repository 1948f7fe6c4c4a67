package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// boundaries are argument and profile values around the places where
// comparing 64 bits as two 32-bit halves can go wrong.
var boundaries = []uint64{
	0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	0x100000000, 0x100000001, 0x1fffffffe, 0x1ffffffff, 0x200000000,
	0x7fffffffffffffff, 0x8000000000000000, 0xfffffffeffffffff,
	0xffffffff00000000, 0xfffffffffffffffe, 0xffffffffffffffff,
}

// want is the reference semantics of an operator on unsigned values.
func want(op specs.LinuxSeccompOperator, arg, v, v2 uint64) bool {
	switch op {
	case specs.OpEqualTo:
		return arg == v
	case specs.OpNotEqual:
		return arg != v
	case specs.OpLessThan:
		return arg < v
	case specs.OpLessEqual:
		return arg <= v
	case specs.OpGreaterThan:
		return arg > v
	case specs.OpGreaterEqual:
		return arg >= v
	case specs.OpMaskedEqual:
		return arg&v == v2
	}
	panic(op)
}

// argProfile allows personality on every x86 ABI when args[idx] matches
// and denies it with EPERM otherwise.
func argProfile(idx uint, op specs.LinuxSeccompOperator, v, v2 uint64) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: allX86,
		Syscalls: []specs.LinuxSyscall{{
			Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: idx, Value: v, ValueTwo: v2, Op: op}},
		}},
	}
}

func TestArgComparisons(t *testing.T) {
	ops := []specs.LinuxSeccompOperator{
		specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual,
	}
	verdict := func(ok bool) uint32 {
		if ok {
			return retAllow
		}
		return retErrno | 1
	}
	for i, op := range ops {
		idx := uint(i % maxArgs) // every argument slot gets used
		for _, v := range boundaries {
			p := compileOn(t, argProfile(idx, op, v, 0))
			for _, arg := range boundaries {
				var args [6]uint64
				args[idx] = arg
				// x86_64 and x32 compare all 64 bits.
				for _, in := range []input{
					{arch: auditArchX86_64, nr: 135, args: args},
					{arch: auditArchX86_64, nr: x32Bit | 135, args: args},
				} {
					if got, w := run(t, p.Filter, in), verdict(want(op, arg, v, 0)); got != w {
						t.Errorf("%s %#x, %v: got %#x, want %#x", op, v, in, got, w)
					}
				}
				// x86 sees the low 32 bits, whatever sits above them.
				in := input{arch: auditArchI386, nr: 136, args: args}
				w := verdict(want(op, arg&0xffffffff, v&0xffffffff, 0))
				if got := run(t, p.Filter, in); got != w {
					t.Errorf("%s %#x, %v: got %#x, want %#x", op, v, in, got, w)
				}
			}
		}
	}
}

func TestArgMaskedEqual(t *testing.T) {
	masks := []uint64{
		0, 0xff, 0x7e020000, 0xffffffff, 0x100000000, 0xffffffff00000000,
		0x8000000000000001, 0xffffffffffffffff,
	}
	for _, mask := range masks {
		for _, datum := range []uint64{0, 1, 0x20000, mask, mask & 0xffffffff, mask &^ 0xffffffff} {
			p := compileOn(t, argProfile(0, specs.OpMaskedEqual, mask, datum))
			for _, arg := range append(boundaries, 0x7e020000, 0x20011, 0x100020000) {
				in := input{arch: auditArchX86_64, nr: 135, args: [6]uint64{arg}}
				w := uint32(retErrno | 1)
				if want(specs.OpMaskedEqual, arg, mask, datum) {
					w = retAllow
				}
				if got := run(t, p.Filter, in); got != w {
					t.Errorf("mask %#x datum %#x, %v: got %#x, want %#x", mask, datum, in, got, w)
				}
				in = input{arch: auditArchI386, nr: 136, args: [6]uint64{arg}}
				w = retErrno | 1
				if uint32(arg)&uint32(mask) == uint32(datum) {
					w = retAllow
				}
				if got := run(t, p.Filter, in); got != w {
					t.Errorf("x86 mask %#x datum %#x, %v: got %#x, want %#x", mask, datum, in, got, w)
				}
			}
		}
	}
}

package seccomp

import "fmt"

// Classic BPF opcodes (linux/bpf_common.h) that the compiler emits. These
// are exactly the ones the kernel's seccomp checker and its constant-action
// cache understand, so unconditional verdicts get cached per syscall.
const (
	bpfLdWAbs = 0x00 | 0x00 | 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfAndK   = 0x04 | 0x50 | 0x00 // BPF_ALU | BPF_AND | BPF_K
	bpfJa     = 0x05 | 0x00        // BPF_JMP | BPF_JA
	bpfJeqK   = 0x05 | 0x10 | 0x00 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJgtK   = 0x05 | 0x20 | 0x00 // BPF_JMP | BPF_JGT | BPF_K
	bpfJgeK   = 0x05 | 0x30 | 0x00 // BPF_JMP | BPF_JGE | BPF_K
	bpfRetK   = 0x06 | 0x00        // BPF_RET | BPF_K
)

// maxInsns is BPF_MAXINSNS, the kernel's limit on a filter's length.
const maxInsns = 4096

// label names an instruction position before it is known.
type label int

// fall is a jump target meaning "the next instruction emitted".
const fall label = -1

// insn is an instruction whose jump targets are still labels.
type insn struct {
	code   uint16
	k      uint32
	jt, jf label // conditional jumps; BPF_JA uses jt
}

func (in insn) isCond() bool { return in.code&0x07 == 0x05 && in.code != bpfJa }

// assembler collects instructions with symbolic jumps and lays them out.
//
// Classic BPF conditional jumps carry 8-bit offsets, so a target more than
// 255 instructions ahead is reached through a trampoline: a BPF_JA, whose
// offset is 32 bits, inserted right after the conditional jump. Inserting
// one moves later code and may push other jumps out of range, so layout
// repeats until nothing changes; it always ends, because a jump once given
// a trampoline keeps it. TestLongJumps exercises this.
type assembler struct {
	prog    []insn
	labels  []int   // label -> index into prog; -1 while unbound
	pending []label // bound to the next instruction emitted
}

func (a *assembler) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

// bind makes l refer to the next instruction emitted.
func (a *assembler) bind(l label) { a.pending = append(a.pending, l) }

func (a *assembler) emit(in insn) {
	for _, l := range a.pending {
		a.labels[l] = len(a.prog)
	}
	a.pending = a.pending[:0]
	if in.isCond() {
		next := label(-1)
		resolve := func(l label) label {
			if l != fall {
				return l
			}
			if next < 0 {
				next = a.newLabel()
				a.pending = append(a.pending, next)
			}
			return next
		}
		in.jt, in.jf = resolve(in.jt), resolve(in.jf)
	}
	a.prog = append(a.prog, in)
}

func (a *assembler) ld(off uint32) { a.emit(insn{code: bpfLdWAbs, k: off}) }
func (a *assembler) and(k uint32)  { a.emit(insn{code: bpfAndK, k: k}) }
func (a *assembler) ret(k uint32)  { a.emit(insn{code: bpfRetK, k: k}) }
func (a *assembler) ja(to label)   { a.emit(insn{code: bpfJa, jt: to}) }
func (a *assembler) jmp(op uint16, k uint32, jt, jf label) {
	a.emit(insn{code: op, k: k, jt: jt, jf: jf})
}

// assemble resolves labels, adding trampolines where a conditional jump
// cannot reach its target.
func (a *assembler) assemble() ([]sockFilter, error) {
	if len(a.pending) > 0 {
		return nil, fmt.Errorf("bpf: label bound past the last instruction")
	}
	n := len(a.prog)
	// tramp[i] bit 0: jt goes through a trampoline; bit 1: jf does.
	tramp := make([]uint8, n)
	count := func(i int) int { return int(tramp[i]&1) + int(tramp[i]>>1) }
	pos := make([]int, n)
	target := func(l label) (int, error) {
		if l < 0 || int(l) >= len(a.labels) || a.labels[l] < 0 {
			return 0, fmt.Errorf("bpf: jump to unbound label %d", l)
		}
		return pos[a.labels[l]], nil
	}
	for changed := true; changed; {
		changed = false
		p := 0
		for i := range a.prog {
			pos[i] = p
			p += 1 + count(i)
		}
		for i, in := range a.prog {
			if !in.isCond() {
				continue
			}
			for bit, l := range [2]label{in.jt, in.jf} {
				if tramp[i]&(1<<bit) != 0 {
					continue
				}
				t, err := target(l)
				if err != nil {
					return nil, err
				}
				if t-pos[i]-1 > 255 {
					tramp[i] |= 1 << bit
					changed = true
				}
			}
		}
	}
	out := make([]sockFilter, 0, n)
	for i, in := range a.prog {
		f := sockFilter{Code: in.code, K: in.k}
		var far []label
		switch {
		case in.isCond():
			offs := [2]uint8{}
			for bit, l := range [2]label{in.jt, in.jf} {
				if tramp[i]&(1<<bit) != 0 {
					offs[bit] = uint8(len(far))
					far = append(far, l)
					continue
				}
				t, _ := target(l)
				if t <= pos[i] {
					return nil, fmt.Errorf("bpf: backward jump at instruction %d", pos[i])
				}
				offs[bit] = uint8(t - pos[i] - 1)
			}
			f.Jt, f.Jf = offs[0], offs[1]
		case in.code == bpfJa:
			t, err := target(in.jt)
			if err != nil {
				return nil, err
			}
			if t <= pos[i] {
				return nil, fmt.Errorf("bpf: backward jump at instruction %d", pos[i])
			}
			f.K = uint32(t - pos[i] - 1)
		}
		out = append(out, f)
		for _, l := range far {
			t, _ := target(l)
			out = append(out, sockFilter{Code: bpfJa, K: uint32(t - len(out) - 1)})
		}
	}
	if len(out) > maxInsns {
		return nil, fmt.Errorf("filter needs %d BPF instructions, more than the kernel's limit of %d",
			len(out), maxInsns)
	}
	return out, nil
}

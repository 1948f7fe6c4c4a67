package cgroups

import "encoding/binary"

// The v2 device controller is an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup directory (Linux
// 4.15). The kernel runs it on every open(2) and mknod(2) of a device
// node with a struct bpf_cgroup_dev_ctx:
//
//	u32 access_type  // device type (BPF_DEVCG_DEV_BLOCK 1, _CHAR 2) in the low 16 bits,
//	                 // requested access (BPF_DEVCG_ACC_MKNOD 1, _READ 2, _WRITE 4) in the high 16
//	u32 major
//	u32 minor
//
// and allows the access when it returns 1. The program below is
// generated from the state emulate computes, so it answers exactly what
// deviceState.allowed answers (the tests run both over many requests with
// a small interpreter). It is a few instructions per exception:
//
//	r2 = type; r3 = access; r4 = major; r5 = minor
//	for each exception:
//	    if r2 != e.type goto next
//	    if r4 != e.major goto next           (left out for a wildcard)
//	    if r5 != e.minor goto next           (likewise)
//	    deny default:  if r3 & ^e.access != 0 goto next   (must cover the request)
//	    allow default: if r3 & e.access == 0 goto next    (must overlap it)
//	    return the opposite of the default
//	next:
//	return the default
//
// Hand-assembled rather than built with github.com/cilium/ebpf: these
// seven opcodes are all it takes, and the dependency would be larger than
// this file and its syscall wrappers together.

// bpfInsn is struct bpf_insn: opcode, two 4-bit registers, a 16-bit jump
// offset (in instructions, from the next one) and a 32-bit immediate.
type bpfInsn struct {
	code uint8
	regs uint8 // dst_reg:4, src_reg:4 in C bit-field order
	off  int16
	imm  int32
}

// Opcode parts, from include/uapi/linux/bpf.h and bpf_common.h.
const (
	bpfLDX  = 0x01 // class: load into register
	bpfALU  = 0x04 // class: 32-bit arithmetic
	bpfJMP  = 0x05 // class: jumps on 64-bit registers
	bpfW    = 0x00 // size: 32 bits
	bpfMEM  = 0x60 // mode: memory at src+off
	bpfAND  = 0x50
	bpfRSH  = 0x70
	bpfMOV  = 0xb0
	bpfJEQ  = 0x10
	bpfJNE  = 0x50
	bpfEXIT = 0x90
	bpfK    = 0x00 // operand: the immediate
	bpfX    = 0x08 // operand: the src register
)

// Registers: r0 holds the result, r1 the context pointer on entry.
const (
	r0 = iota
	r1
	r2
	r3
	r4
	r5
)

// littleEndian tells the bit-field order of bpf_insn's registers: dst in
// the low nibble on little-endian machines, in the high one on big-endian.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func regs(dst, src uint8) uint8 {
	if littleEndian {
		return dst | src<<4
	}
	return dst<<4 | src
}

func ldxW(dst, src uint8, off int16) bpfInsn {
	return bpfInsn{code: bpfLDX | bpfMEM | bpfW, regs: regs(dst, src), off: off}
}

func alu32Imm(op, dst uint8, imm int32) bpfInsn {
	return bpfInsn{code: bpfALU | op | bpfK, regs: regs(dst, 0), imm: imm}
}

func mov32Reg(dst, src uint8) bpfInsn {
	return bpfInsn{code: bpfALU | bpfMOV | bpfX, regs: regs(dst, src)}
}

// jmpImm is a conditional jump whose offset deviceProgram fills in.
func jmpImm(op, dst uint8, imm int32) bpfInsn {
	return bpfInsn{code: bpfJMP | op | bpfK, regs: regs(dst, 0), imm: imm}
}

func exit() bpfInsn { return bpfInsn{code: bpfJMP | bpfEXIT} }

func boolImm(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// devType maps 'b' and 'c' to BPF_DEVCG_DEV_BLOCK and BPF_DEVCG_DEV_CHAR.
func devType(t byte) int32 {
	if t == 'b' {
		return 1
	}
	return 2
}

// deviceProgram assembles the program for st (see the top of the file).
func deviceProgram(st deviceState) []bpfInsn {
	prog := []bpfInsn{
		ldxW(r2, r1, 0), alu32Imm(bpfAND, r2, 0xffff), // r2 = device type
		ldxW(r3, r1, 0), alu32Imm(bpfRSH, r3, 16), // r3 = requested access
		ldxW(r4, r1, 4), // r4 = major
		ldxW(r5, r1, 8), // r5 = minor
	}
	for _, e := range st.exceptions {
		block := []bpfInsn{jmpImm(bpfJNE, r2, devType(e.typ))}
		if e.major != wildcard {
			block = append(block, jmpImm(bpfJNE, r4, int32(e.major)))
		}
		if e.minor != wildcard {
			block = append(block, jmpImm(bpfJNE, r5, int32(e.minor)))
		}
		// With every access in the exception, both access tests always
		// pass (a request has at least one bit), so they are left out.
		if e.access != accAll {
			// r1 (the context pointer) is no longer needed: a scratch.
			block = append(block, mov32Reg(r1, r3))
			if st.defaultAllow {
				block = append(block, alu32Imm(bpfAND, r1, int32(e.access)), jmpImm(bpfJEQ, r1, 0))
			} else {
				block = append(block, alu32Imm(bpfAND, r1, int32(accAll&^e.access)), jmpImm(bpfJNE, r1, 0))
			}
		}
		block = append(block, alu32Imm(bpfMOV, r0, boolImm(!st.defaultAllow)), exit())
		// Every conditional jump of the block skips to its end.
		for i := range block {
			if block[i].code&0x07 == bpfJMP && block[i].code != bpfJMP|bpfEXIT {
				block[i].off = int16(len(block) - i - 1)
			}
		}
		prog = append(prog, block...)
	}
	return append(prog, alu32Imm(bpfMOV, r0, boolImm(st.defaultAllow)), exit())
}

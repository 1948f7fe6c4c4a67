package seccomp

import (
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Values of seccomp_data.arch (AUDIT_ARCH_* in linux/audit.h).
const (
	auditArchX86_64  = 0xc000003e // EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
	auditArchI386    = 0x40000003 // EM_386 | __AUDIT_ARCH_LE
	auditArchAArch64 = 0xc00000b7 // EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
)

// x32Bit is __X32_SYSCALL_BIT. An x32 process enters the kernel with
// seccomp_data.arch == AUDIT_ARCH_X86_64 and this bit set in the syscall
// number, so the filter tells x32 from x86_64 by the number alone.
const x32Bit = 0x40000000

// arch is one architecture a filter can serve.
type arch struct {
	name  specs.Arch
	audit uint32 // seccomp_data.arch of its syscalls
	// wide is true where syscall arguments are 64 bits. On a 32-bit ABI
	// only the low half of seccomp_data.args[i] carries the argument.
	wide bool
	// table returns the syscall numbers (zsyscalls.go), built on first
	// use: most husk processes never compile a filter.
	table func() map[string]uint32
}

// arches lists every architecture this package has syscall tables for.
// All are little-endian, which the argument offsets rely on.
var arches = []*arch{
	{name: specs.ArchX86_64, audit: auditArchX86_64, wide: true, table: sync.OnceValue(sysX86_64)},
	{name: specs.ArchX86, audit: auditArchI386, wide: false, table: sync.OnceValue(sysX86)},
	{name: specs.ArchX32, audit: auditArchX86_64, wide: true, table: sync.OnceValue(sysX32)},
	{name: specs.ArchAARCH64, audit: auditArchAArch64, wide: true, table: sync.OnceValue(sysAArch64)},
}

// lookupArch returns the arch named by an SCMP_ARCH_* string, or nil.
func lookupArch(name specs.Arch) *arch {
	for _, a := range arches {
		if a.name == name {
			return a
		}
	}
	return nil
}

// nativeArch returns the arch that a Go program built for goarch runs as,
// or nil when this package has no table for it.
func nativeArch(goarch string) *arch {
	switch goarch {
	case "amd64":
		return lookupArch(specs.ArchX86_64)
	case "386":
		return lookupArch(specs.ArchX86)
	case "arm64":
		return lookupArch(specs.ArchAARCH64)
	}
	return nil
}

// Offsets into struct seccomp_data (linux/seccomp.h):
//
//	int   nr;                  // 0
//	__u32 arch;                // 4
//	__u64 instruction_pointer; // 8
//	__u64 args[6];             // 16
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
	maxArgs = 6
)

// argLow and argHigh are the offsets of the low and high 32-bit halves of
// args[i] on a little-endian architecture.
func argLow(i uint) uint32  { return offArgs + 8*uint32(i) }
func argHigh(i uint) uint32 { return offArgs + 8*uint32(i) + 4 }

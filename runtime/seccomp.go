package runtime

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"husk/seccomp"
)

// compileSeccomp compiles the spec's seccomp profile into the config, in
// the parent. It runs while the freshly cloned init starts its Go runtime,
// so the compile (about a millisecond for Docker's default profile) is off
// the start path; the init only loads the program.
func (c *initConfig) compileSeccomp() error {
	if c.Spec.Linux == nil || c.Spec.Linux.Seccomp == nil {
		return nil
	}
	p, err := seccomp.Compile(c.Spec.Linux.Seccomp)
	if err != nil {
		return fmt.Errorf("linux.seccomp: %w", err)
	}
	c.SeccompBPF, c.SeccompFlags = encodeFilter(p.Filter), p.Flags
	return nil
}

// seccompProgram returns the program the parent compiled, or nil when the
// container has no profile.
func (c *initConfig) seccompProgram() *seccomp.Program {
	if len(c.SeccompBPF) == 0 {
		return nil
	}
	return &seccomp.Program{Filter: decodeFilter(c.SeccompBPF), Flags: c.SeccompFlags}
}

// encodeFilter packs instructions as struct sock_filter lays them out,
// eight bytes each, far smaller in the JSON config than one object each.
func encodeFilter(f []unix.SockFilter) []byte {
	b := make([]byte, 8*len(f))
	for i, in := range f {
		binary.LittleEndian.PutUint16(b[8*i:], in.Code)
		b[8*i+2], b[8*i+3] = in.Jt, in.Jf
		binary.LittleEndian.PutUint32(b[8*i+4:], in.K)
	}
	return b
}

func decodeFilter(b []byte) []unix.SockFilter {
	f := make([]unix.SockFilter, len(b)/8)
	for i := range f {
		f[i] = unix.SockFilter{
			Code: binary.LittleEndian.Uint16(b[8*i:]), Jt: b[8*i+2], Jf: b[8*i+3],
			K: binary.LittleEndian.Uint32(b[8*i+4:]),
		}
	}
	return f
}

package runtime

import (
	"encoding/binary"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/seccomp"
)

// compileSeccomp puts the spec's seccomp profile, compiled in the parent,
// into the config; the init only loads it. It takes the result of
// startSeccomp when one was started.
func (c *initConfig) compileSeccomp() error {
	if c.Spec.Linux == nil || c.Spec.Linux.Seccomp == nil {
		return nil
	}
	compiled := c.seccomp
	if compiled == nil {
		compiled = startSeccomp(c.Spec.Linux.Seccomp)
	}
	r := <-compiled
	c.seccomp = nil
	if r.err != nil {
		return fmt.Errorf("linux.seccomp: %w", r.err)
	}
	c.SeccompBPF, c.SeccompFlags = encodeFilter(r.p.Filter), r.p.Flags
	return nil
}

type compiledSeccomp struct {
	p   *seccomp.Program
	err error
}

// startSeccomp compiles s on another goroutine: Docker's profile takes
// about half a millisecond here, which a create overlaps with making the
// cgroup.
func startSeccomp(s *specs.LinuxSeccomp) chan compiledSeccomp {
	ch := make(chan compiledSeccomp, 1)
	go func() {
		p, err := seccomp.Compile(s)
		ch <- compiledSeccomp{p, err}
	}()
	return ch
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

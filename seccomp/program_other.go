//go:build !linux

package seccomp

import (
	"errors"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sockFilter has the layout of Linux's struct sock_filter.
type sockFilter struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// Program is a compiled seccomp filter; see the Linux build for details.
type Program struct {
	Filter  []sockFilter
	Flags   uint
	Unknown []string
}

// Compile compiles a profile; it works on any OS, so profiles can be
// checked anywhere.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	return compileFor(s, nativeArch(runtime.GOARCH))
}

// Load is Linux-only; elsewhere it returns an error.
func (p *Program) Load() error { return errors.New("seccomp: not supported on this OS") }

func supportedFlags() []string { return []string{} }

const enabled = false

package runtime

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/seccomp"
)

// compileSeccomp compiles the spec's seccomp profile, or returns nil when
// it has none.
func compileSeccomp(spec *specs.Spec) (*seccomp.Program, error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, nil
	}
	return seccomp.Compile(spec.Linux.Seccomp)
}

package runtime

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// seccompFilter is a compiled filter, ready to load on this thread.
type seccompFilter interface{ Load() error }

// compileSeccomp compiles the spec's seccomp profile, or returns nil when
// it has none.
func compileSeccomp(spec *specs.Spec) (seccompFilter, error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, nil
	}
	return nil, errors.New("linux.seccomp: not supported yet")
}

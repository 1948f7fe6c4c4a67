package runtime

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Validate checks that spec asks only for what this runtime can honour.
// A field it cannot honour is an error naming the field: never silently
// ignored.
func Validate(spec *specs.Spec) error {
	if spec == nil {
		return errors.New("config.json: empty")
	}
	if !strings.HasPrefix(spec.Version, "1.") {
		return fmt.Errorf("ociVersion %q: only 1.x specs are supported", spec.Version)
	}
	if spec.Root == nil || spec.Root.Path == "" {
		return errors.New("root.path: required")
	}
	if spec.Process == nil {
		return errors.New("process: required")
	}
	if spec.Linux == nil {
		return errors.New("linux: required on Linux")
	}
	if err := validateProcess(spec.Process); err != nil {
		return err
	}
	return validateLinux(spec.Linux)
}

func validateProcess(p *specs.Process) error {
	if len(p.Args) == 0 {
		return errors.New("process.args: required")
	}
	if p.Cwd == "" || !strings.HasPrefix(p.Cwd, "/") {
		return fmt.Errorf("process.cwd %q: must be an absolute path", p.Cwd)
	}
	switch {
	case p.SelinuxLabel != "":
		return fmt.Errorf("process.selinuxLabel %q: SELinux is not supported", p.SelinuxLabel)
	case p.Scheduler != nil:
		return errors.New("process.scheduler: not supported")
	case p.IOPriority != nil:
		return errors.New("process.ioPriority: not supported")
	case p.ExecCPUAffinity != nil:
		return errors.New("process.execCPUAffinity: not supported")
	case p.ApparmorProfile != "" && !apparmorEnabled():
		return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", p.ApparmorProfile)
	}
	for _, l := range p.Rlimits {
		if _, ok := rlimitByName[l.Type]; !ok {
			return fmt.Errorf("process.rlimits: unknown type %q", l.Type)
		}
	}
	return nil
}

func validateLinux(l *specs.Linux) error {
	switch {
	case l.MountLabel != "":
		return fmt.Errorf("linux.mountLabel %q: SELinux is not supported", l.MountLabel)
	case l.IntelRdt != nil:
		return errors.New("linux.intelRdt: not supported")
	case l.MemoryPolicy != nil:
		return errors.New("linux.memoryPolicy: not supported")
	case len(l.NetDevices) > 0:
		return errors.New("linux.netDevices: not supported")
	case len(l.TimeOffsets) > 0:
		return errors.New("linux.timeOffsets: not supported")
	}
	if p := l.Personality; p != nil {
		if _, err := personalityOf(p); err != nil {
			return err
		}
	}
	return nil
}

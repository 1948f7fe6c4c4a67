package runtime

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Personality domains from <sys/personality.h>.
const (
	perLinux   = 0x0000
	perLinux32 = 0x0008
)

// personalityOf turns linux.personality into the personality(2) value.
func personalityOf(p *specs.LinuxPersonality) (uintptr, error) {
	var v uintptr
	switch p.Domain {
	case specs.PerLinux:
		v = perLinux
	case specs.PerLinux32:
		v = perLinux32
	default:
		return 0, fmt.Errorf("linux.personality.domain %q: not supported", p.Domain)
	}
	if len(p.Flags) > 0 {
		return 0, fmt.Errorf("linux.personality.flags %v: not supported", p.Flags)
	}
	return v, nil
}

// setPersonality applies linux.personality to the init.
func setPersonality(p *specs.LinuxPersonality) error {
	if p == nil {
		return nil
	}
	v, err := personalityOf(p)
	if err != nil {
		return err
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, v, 0, 0); errno != 0 {
		return os.NewSyscallError("personality", errno)
	}
	return nil
}

// apparmorEnabled reports whether the host runs AppArmor.
func apparmorEnabled() bool {
	data, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && len(data) > 0 && data[0] == 'Y'
}

// applyApparmor makes the next execve switch to profile.
func applyApparmor(profile string) error {
	if profile == "" {
		return nil
	}
	err := os.WriteFile("/proc/self/attr/apparmor/exec", []byte("exec "+profile), 0)
	if err != nil {
		err = os.WriteFile("/proc/self/attr/exec", []byte("exec "+profile), 0)
	}
	if err != nil {
		return fmt.Errorf("apply AppArmor profile %q: %w", profile, err)
	}
	return nil
}

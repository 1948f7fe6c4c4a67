package runtime

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Process is a container's init or an exec'd process started by this
// process, which can wait for it.
type Process struct {
	ID  string
	Pid int
	// Console is the pty master when the process has a terminal and no
	// console socket took it.
	Console *os.File

	rt   *Runtime
	init *initProcess
	// spec and state are kept by Create for StartForeground.
	spec  *specs.Spec
	state *State
}

// Signal sends sig to the process.
func (p *Process) Signal(sig syscall.Signal) error {
	if err := unix.Kill(p.Pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %d to pid %d: %w", sig, p.Pid, err)
	}
	return nil
}

// Wait waits for the process to exit and returns its shell-style exit code
// (128+N for death by signal N).
func (p *Process) Wait() (int, error) {
	code, err := p.init.wait()
	if err != nil {
		return code, fmt.Errorf("wait for container %q: %w", p.ID, err)
	}
	return code, nil
}

// Release lets go of a process that keeps running after this one exits
// (huskrt create, exec --detach).
func (p *Process) Release() {
	p.init.sock.close()
}

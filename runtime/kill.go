package runtime

import (
	"errors"
	"fmt"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Kill sends sig to the container's init, or with all to every process of
// the container. A stopped container is an error.
func (r *Runtime) Kill(id string, sig syscall.Signal, all bool) error {
	st, err := r.State(id)
	if err != nil {
		return err
	}
	if st.Status == specs.StateStopped {
		return fmt.Errorf("container %q is not running", id)
	}
	if all {
		return r.signalAll(st, int(sig))
	}
	if err := unix.Kill(st.Pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %d to container %q: %w", sig, id, err)
	}
	return nil
}

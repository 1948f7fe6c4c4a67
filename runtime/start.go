package runtime

import (
	"errors"
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Start releases a created container's init to exec the user process,
// then runs the poststart hooks; a failed hook kills the container.
func (r *Runtime) Start(id string) error {
	unlock, err := r.lock(id)
	if err != nil {
		return err
	}
	defer unlock()

	st, err := r.State(id)
	if err != nil {
		return err
	}
	if st.Status != specs.StateCreated {
		return fmt.Errorf("container %q is %s: only a created container can be started", id, st.Status)
	}
	if err := releaseFifo(r.fifoPath(id), st); err != nil {
		return fmt.Errorf("start container %q: %w", id, err)
	}

	if h := r.hooks(st); h != nil {
		st.Status = specs.StateRunning
		if err := runHooks("poststart", h.Poststart, &st.State); err != nil {
			unix.Kill(st.Pid, unix.SIGKILL)
			return err
		}
	}
	return nil
}

// releaseFifo opens the exec fifo for reading, which lets the init's open
// for writing return, and reads the byte it then writes. The read end is
// non-blocking so a dead init cannot hang start: it polls, checking that
// the init is still alive.
func releaseFifo(path string, st *State) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer unix.Close(fd)

	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("wait on exec fifo: %w", err)
		}
		if n > 0 && pfd[0].Revents&unix.POLLIN != 0 {
			break
		}
		if n > 0 && pfd[0].Revents&unix.POLLHUP != 0 || !alive(st.Pid, st.StartTime) {
			return errors.New("the container's init exited before it was started")
		}
	}

	buf := make([]byte, 1)
	if _, err := unix.Read(fd, buf); err != nil {
		return fmt.Errorf("read exec fifo: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove exec fifo: %w", err)
	}
	return waitExec(fd, st)
}

// waitExec waits for the end of file the init's execve (or death) gives
// the fifo, so the user process has started when Start returns.
func waitExec(fd int, st *State) error {
	buf := make([]byte, 1)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Read(fd, buf)
		if n == 0 && err == nil {
			return nil
		}
		if err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("read exec fifo: %w", err)
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		unix.Poll(pfd, 100)
		if !alive(st.Pid, st.StartTime) {
			return nil
		}
	}
	return errors.New("the container's process did not start within 30s")
}

// StartForeground releases an init created with Foreground and waits
// until its user process has been exec'd.
func (p *Process) StartForeground() error {
	if err := p.init.start(); err != nil {
		return err
	}
	// The spec and state are the ones this process created: no need to
	// read them back from disk.
	if p.spec.Hooks == nil || len(p.spec.Hooks.Poststart) == 0 {
		return nil
	}
	st := p.state.State
	st.Status = specs.StateRunning
	return runHooks("poststart", p.spec.Hooks.Poststart, &st)
}

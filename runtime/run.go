package runtime

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// RunOptions describe a container to run in the foreground.
type RunOptions struct {
	ID     string
	Bundle string
	Spec   *specs.Spec

	// RootMount is mounted at Spec.Root.Path inside the container's mount
	// namespace (an overlay of image layers); nil bind-mounts the rootfs.
	// Because the mount lives only in that namespace, it goes away with
	// the container, whatever happens to the caller.
	RootMount *specs.Mount

	// User, when set, is resolved in the container's /etc/passwd and
	// /etc/group and replaces Spec.Process.User's ids.
	User string

	Stdio Stdio

	// KillWithParent kills the container when the calling thread's
	// process dies, so a foreground container never outlives husk.
	KillWithParent bool
}

// Container is a running container started by Run.
type Container struct {
	ID  string
	Pid int
	// Console is the pty master when the process has a terminal.
	Console *os.File

	rt   *Runtime
	init *initProcess
}

// Run starts the container and returns once its process has been exec'd.
// The caller must call Wait. With KillWithParent, the calling goroutine
// should stay locked to its OS thread until Wait returns: the kernel ties
// the parent-death signal to the thread that cloned the init.
func (r *Runtime) Run(o RunOptions) (*Container, error) {
	if err := checkID(o.ID); err != nil {
		return nil, err
	}
	if err := os.Mkdir(r.dir(o.ID), 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("container %q already exists", o.ID)
		}
		return nil, fmt.Errorf("create state dir of %q: %w", o.ID, err)
	}

	c, err := r.run(o)
	if err != nil {
		os.RemoveAll(r.dir(o.ID))
		return nil, err
	}
	return c, nil
}

func (r *Runtime) run(o RunOptions) (*Container, error) {
	// The init waits once set up, so the state is on disk before the
	// user process runs: whoever sees the process can find its container.
	cfg := &initConfig{Spec: o.Spec, RootMount: o.RootMount, User: o.User, WaitStart: true}
	if o.KillWithParent {
		cfg.Pdeathsig = int(unix.SIGKILL)
	}

	p, err := startInit(cfg, o.Stdio)
	if err != nil {
		return nil, err
	}

	st := &State{
		State: specs.State{
			Version:     specs.Version,
			ID:          o.ID,
			Status:      specs.StateRunning,
			Pid:         p.pid(),
			Bundle:      o.Bundle,
			Annotations: o.Spec.Annotations,
		},
		Created: time.Now().UTC(),
	}
	// The start time tells this init from a later process with its pid.
	st.StartTime, err = processStartTime(st.Pid)
	if err == nil {
		err = r.save(st)
	}
	if err == nil {
		err = p.start()
	}
	if err != nil {
		p.abort()
		return nil, err
	}
	return &Container{ID: o.ID, Pid: st.Pid, Console: p.console, rt: r, init: p}, nil
}

// Signal sends sig to the container's init.
func (c *Container) Signal(sig syscall.Signal) error {
	if err := unix.Kill(c.Pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %d to container %q: %w", sig, c.ID, err)
	}
	return nil
}

// Wait waits for the container's process to exit, records it as stopped
// and returns its shell-style exit code (128+N for death by signal N).
func (c *Container) Wait() (int, error) {
	err := c.init.cmd.Wait()
	c.init.sock.close()

	var exitErr *exitError
	code := 0
	if err != nil {
		ee, ok := asExitError(err)
		if !ok {
			return -1, fmt.Errorf("wait for container %q: %w", c.ID, err)
		}
		exitErr = ee
		code = waitStatus(exitErr.status)
	}

	if st, err := c.rt.State(c.ID); err == nil {
		st.Status = specs.StateStopped
		if err := c.rt.save(st); err != nil {
			return code, err
		}
	}
	return code, nil
}

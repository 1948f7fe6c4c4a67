package runtime

import (
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"syscall"
)

// child is a process the runtime starts and reaps itself: a container's
// init or an exec'd process.
//
// It is started with syscall.ForkExec, not os/exec: a Go program's first
// os.StartProcess probes the kernel's pidfd support with a clone of its
// own (~0.5 ms of every container start here), and the runtime needs
// nothing os/exec adds over a pid, its stdio being files already.
type child struct {
	Path string
	Args []string
	Env  []string
	// Stdin, Stdout and Stderr become fds 0-2; nil gives /dev/null.
	Stdin, Stdout, Stderr *os.File
	// ExtraFiles become fds 3, 4, ...
	ExtraFiles  []*os.File
	SysProcAttr *syscall.SysProcAttr

	Pid    int
	reaped bool
}

// Start forks and execs the process.
func (c *child) Start() error {
	files := append([]*os.File{c.Stdin, c.Stdout, c.Stderr}, c.ExtraFiles...)
	fds := make([]uintptr, len(files))
	for i, f := range files {
		if f == nil {
			null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer null.Close()
			f = null
		}
		fds[i] = f.Fd()
	}

	pid, err := syscall.ForkExec(c.Path, c.Args, &syscall.ProcAttr{Env: c.Env, Files: fds, Sys: c.SysProcAttr})
	goruntime.KeepAlive(files)
	if err != nil {
		return &os.PathError{Op: "fork/exec", Path: c.Path, Err: err}
	}
	c.Pid = pid
	return nil
}

// Wait reaps the process and returns how it ended.
func (c *child) Wait() (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	if c.reaped {
		return ws, errors.New("process already reaped")
	}
	for {
		_, err := syscall.Wait4(c.Pid, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return ws, fmt.Errorf("wait for pid %d: %w", c.Pid, err)
		}
		c.reaped = true
		return ws, nil
	}
}

// Kill sends SIGKILL unless the process was reaped already (its pid may
// have been reused since).
func (c *child) Kill() {
	if c.Pid > 0 && !c.reaped {
		syscall.Kill(c.Pid, syscall.SIGKILL)
	}
}

// started reports whether the process exists and is not yet reaped.
func (c *child) started() bool { return c.Pid > 0 && !c.reaped }

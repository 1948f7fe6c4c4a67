package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runner starts the benchmark's commands: each in a process group of its
// own, so the Ctrl-C that the terminal sends to husk bench's group
// reaches only husk bench, which then cleans up in order; with stdin
// from /dev/null and stdout and stderr into one file. The file, not a
// pipe: a container created detached holds its runtime's stdio, and a
// caller reading a pipe to its end would wait for the container.
type runner struct {
	out *os.File // O_APPEND, truncated before each command
}

func newRunner(path string) (*runner, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return &runner{out: f}, nil
}

func (r *runner) close() { r.out.Close() }

// command prepares argv with the runner's stdio.
func (r *runner) command(argv []string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = r.out, r.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// run runs argv to its end, killing it when ctx ends, and returns an
// error with what it printed when it fails.
func (r *runner) run(ctx context.Context, argv ...string) error {
	r.out.Truncate(0)
	cmd := r.command(argv)
	if err := cmd.Start(); err != nil {
		return err
	}
	return r.wait(ctx, cmd)
}

// wait waits for a started command; when ctx ends first, the command's
// process group is killed.
func (r *runner) wait(ctx context.Context, cmd *exec.Cmd) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		<-done
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("%s: %w%s", strings.Join(shortArgv(cmd.Args), " "), err, r.printed())
	}
	return nil
}

// printed returns the last lines the commands wrote, for an error.
func (r *runner) printed() string {
	data, _ := os.ReadFile(r.out.Name())
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return ""
	}
	if len(data) > 400 {
		data = append([]byte("..."), data[len(data)-400:]...)
	}
	return ": " + strings.ReplaceAll(string(data), "\n", " | ")
}

// shortArgv drops the directories of the program and of long paths so an
// error names the command, not the benchmark's temp dir.
func shortArgv(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if i == 0 {
			a = a[strings.LastIndexByte(a, '/')+1:]
		}
		out[i] = a
	}
	return out
}

// waitExit waits until pid, which this process adopted as a subreaper,
// exits, and reaps it. A pidfd (Linux 5.3) polls for the exit with the
// context's deadline; wait4 then collects it.
func waitExit(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil // gone and reaped already
		}
		return os.NewSyscallError("pidfd_open", err)
	}
	defer unix.Close(fd)
	for {
		timeout := 100 // ms: recheck ctx this often
		if dl, ok := ctx.Deadline(); ok {
			if left := time.Until(dl); left < 100*time.Millisecond {
				timeout = int(max(left, 0) / time.Millisecond)
			}
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, timeout)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return os.NewSyscallError("poll pidfd", err)
		}
		if n > 0 {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("wait for pid %d: %w", pid, ctx.Err())
		}
	}
	var ws unix.WaitStatus
	// ECHILD: not our child (reparented elsewhere), and then not ours to
	// reap; it has exited all the same.
	if _, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err != nil && !errors.Is(err, unix.ECHILD) {
		return os.NewSyscallError("wait4", err)
	}
	return nil
}

// readPid reads a pid file as runtimes write it.
func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var pid int
	if _, err := fmt.Sscan(string(data), &pid); err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: %q is not a pid", path, data)
	}
	return pid, nil
}

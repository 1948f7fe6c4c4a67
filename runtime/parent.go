package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"husk/namespaces"
)

// Stdio is what the container process gets as fds 0, 1 and 2 when it has
// no terminal. A nil entry becomes /dev/null.
type Stdio struct {
	Stdin, Stdout, Stderr *os.File
}

// initProcess is the parent's handle on a started init.
type initProcess struct {
	cmd     *exec.Cmd
	sock    *syncSocket
	console *os.File
}

// startInit clones the init with the spec's namespaces and sends it cfg.
// It returns once the init has either reported msgReady (cfg.WaitStart) or
// exec'd the user process; on failure the init has been reaped.
func startInit(cfg *initConfig, stdio Stdio) (*initProcess, error) {
	cmd, err := initCommand(cfg, stdio)
	if err != nil {
		return nil, err
	}
	sock, child, err := newSyncPair()
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{child}
	cmd.Env = []string{envInitFD + "=3"}

	exe, err := sealedSelf()
	if err != nil {
		sock.close()
		child.Close()
		return nil, err
	}
	cmd.Path = "/proc/self/fd/" + strconv.Itoa(int(exe.Fd()))

	err = cmd.Start()
	exe.Close()
	child.Close()
	if err != nil {
		sock.close()
		return nil, fmt.Errorf("start container init: %w", err)
	}

	p := &initProcess{cmd: cmd, sock: sock}
	if err := p.handshake(cfg); err != nil {
		p.abort()
		return nil, err
	}
	return p, nil
}

// initCommand builds the clone of this binary that becomes the init.
func initCommand(cfg *initConfig, stdio Stdio) (*exec.Cmd, error) {
	var flags uintptr
	if cfg.Spec.Linux != nil {
		f, err := namespaces.CloneFlags(cfg.Spec.Linux.Namespaces)
		if err != nil {
			return nil, err
		}
		flags = f
	}

	cmd := &exec.Cmd{
		Args:   []string{"husk-init"},
		Stdin:  stdio.Stdin,
		Stdout: stdio.Stdout,
		Stderr: stdio.Stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: flags,
			// A session of its own: terminal signals reach the container
			// only through its parent, and the init may take a pty as
			// its controlling terminal.
			Setsid:    true,
			Pdeathsig: syscall.Signal(cfg.Pdeathsig),
		},
	}
	return cmd, nil
}

// handshake sends the config and reads the init's reports until it is
// ready, has exec'd, or has failed.
func (p *initProcess) handshake(cfg *initConfig) error {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode init config: %w", err)
	}
	if err := p.sock.send(message{Type: msgConfig, Config: raw}); err != nil {
		return err
	}

	execing := false
	for {
		m, fds, err := p.sock.recv()
		if errors.Is(err, io.EOF) {
			if execing {
				return nil
			}
			return p.diedEarly()
		}
		if err != nil {
			return fmt.Errorf("read from container init: %w", err)
		}

		switch m.Type {
		case msgConsole:
			if len(fds) != 1 {
				return fmt.Errorf("console message carried %d fds, want 1", len(fds))
			}
			p.console = os.NewFile(uintptr(fds[0]), "pty-master")
		case msgReady:
			return nil
		case msgExec:
			execing = true
		case msgError:
			return &InitError{Step: m.Step, Msg: m.Error, Exit: m.Exit}
		default:
			return fmt.Errorf("unexpected %q message from container init", m.Type)
		}
	}
}

// diedEarly reaps an init that closed its socket without a report and
// says how it ended.
func (p *initProcess) diedEarly() error {
	err := p.cmd.Wait()
	p.cmd.Process = nil
	if err != nil {
		return fmt.Errorf("container init exited before the process started: %w", err)
	}
	return errors.New("container init exited before the process started")
}

// abort kills and reaps an init that failed, so nothing is left running.
func (p *initProcess) abort() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
	p.sock.close()
	if p.console != nil {
		p.console.Close()
	}
}

// start releases an init that is waiting in msgReady and waits until the
// user process has been exec'd.
func (p *initProcess) start() error {
	if err := p.sock.send(message{Type: msgStart}); err != nil {
		return err
	}
	for {
		m, _, err := p.sock.recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read from container init: %w", err)
		}
		if m.Type == msgError {
			return &InitError{Step: m.Step, Msg: m.Error, Exit: m.Exit}
		}
	}
}

// specPid returns the pid of the init on the host.
func (p *initProcess) pid() int { return p.cmd.Process.Pid }

// waitStatus turns a wait status into a shell-style exit code:
// the process's status, or 128+N when it died of signal N.
func waitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// exitError is the wait status of an init that did not exit 0.
type exitError struct{ status syscall.WaitStatus }

func asExitError(err error) (*exitError, bool) {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return nil, false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok {
		return nil, false
	}
	return &exitError{status: ws}, true
}

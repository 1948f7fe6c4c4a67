package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	goruntime "runtime"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"husk/cgroups"
	"husk/internal/timerslack"
	"husk/namespaces"
	"husk/rootfs"
	"husk/runtime/cinit"
)

// Stdio is what the container process gets as fds 0, 1 and 2 when it has
// no terminal. A nil entry becomes /dev/null.
type Stdio struct {
	Stdin, Stdout, Stderr *os.File
}

// launch describes how the parent starts an init or an exec'd process.
type launch struct {
	cfg   *initConfig
	stdio Stdio
	// extra are fds passed on as 3, 4, ... (--preserve-fds); the sync
	// socket and the exec fifo come after them.
	extra []*os.File
	fifo  *os.File
	// join are namespaces that husk-init enters by path before any Go
	// runtime starts (cmd/husk-init/nsenter.c); when one is a pid
	// namespace the process forks once more and join.pid reports the
	// real pid.
	join []namespaces.Join
	// hooks runs the prestart and createRuntime hooks when the init asks.
	hooks func(pid int) error
	// beforeConfig runs once the process exists, before it gets its
	// config: the place to put it into its cgroup.
	beforeConfig func(pid int) error
	// cloneInto, when set, readies the cloning thread so that the
	// process starts inside its cgroup (see cgroups.Clone).
	cloneInto func() (*cgroups.Clone, error)
	// whileSetUp, when set, runs once the process has its config or
	// program and sets itself up: work that needs only its pid (state on
	// disk) overlaps the process's own. A failure fails the start.
	whileSetUp func(pid int) error
}

// initProcess is the parent's handle on a started init or exec process.
type initProcess struct {
	cmd     *child
	sock    *syncSocket
	console *os.File
	// realPid is the process's pid when nsenter forked it as a sibling of
	// cmd (a joined pid namespace); 0 when cmd's process is it.
	realPid int
	// prog is the C init's program, sent instead of the config; nil for
	// the Go init.
	prog *cinit.Program
}

// programFor compiles the launch into a program for the C init, or
// returns nil when the Go init must run it (see goInitReason), or when
// HUSK_INIT=go asks for the Go init. A failure that is the container's
// (an unknown user, a bind source that does not exist) is returned as the
// Go init would report it.
func programFor(l launch) (*cinit.Program, error) {
	if why := whyGoInit(l); why != "" {
		slog.Debug("go init", "why", why)
		return nil, nil
	}
	start := time.Now()
	if err := l.cfg.compileSeccomp(); err != nil {
		return nil, err
	}
	compiled := time.Now()
	prog, err := buildProgram(l.cfg)
	slog.Debug("c init program", "seccomp", compiled.Sub(start), "program", time.Since(compiled))
	if errors.Is(err, rootfs.ErrNeedsGoInit) {
		slog.Debug("go init", "why", err)
		return nil, nil
	}
	var se *stepError
	if errors.As(err, &se) {
		return nil, &InitError{Step: se.step, Msg: se.err.Error(), Exit: se.exit}
	}
	if err != nil {
		return nil, &InitError{Step: "rootfs", Msg: err.Error()}
	}
	return prog, nil
}

// whyGoInit says why the Go init runs l (see goInitReason, and HUSK_INIT=go),
// or "" for the C init.
func whyGoInit(l launch) string {
	if why := goInitReason(l); why != "" {
		return why
	}
	if os.Getenv("HUSK_INIT") == "go" {
		return "HUSK_INIT=go"
	}
	if _, err := initBinary(); err != nil {
		return err.Error()
	}
	return ""
}

// initPlan is the C init's program for a launch, or nil for the Go init.
type initPlan struct {
	prog *cinit.Program
	err  error
}

// planInit settles what the launch's config says about the clone and
// starts building its program on another goroutine: the program needs
// only the spec, so create builds it while it makes the cgroup, which
// took 0.6 ms of every start after it. Nothing may change l.cfg until
// startProcess has the plan.
func planInit(l launch) <-chan initPlan {
	settle(l)
	ch := make(chan initPlan, 1)
	go func() {
		prog, err := programFor(l)
		ch <- initPlan{prog, err}
	}()
	return ch
}

// settle fills in the config fields that follow from the launch: the
// exec fifo's fd number, and whether the process unshares its cgroup
// namespace itself (see unshareCgroupLater).
func settle(l launch) {
	if l.fifo != nil {
		l.cfg.ExecFifo = syncFD(l) + 1
	}
	l.cfg.UnshareCgroup = unshareCgroupLater(l.cfg)
}

// syncFD is the process's fd of its sync socket: after stdio and the
// extra files; the exec fifo, when there is one, comes next.
func syncFD(l launch) int { return 3 + len(l.extra) }

// startProcess clones the process and hands it its config. It returns once
// the process has reported msgReady or exec'd; on failure it has been
// killed and reaped. planned is planInit's result for l; nil plans here.
func startProcess(l launch, planned <-chan initPlan) (*initProcess, error) {
	if planned == nil {
		planned = planInit(l)
	}
	plan := <-planned
	if plan.err != nil {
		return nil, plan.err
	}
	p, err := spawn(l, plan.prog)
	if err != nil {
		return nil, err
	}
	if err := p.handshake(l); err != nil {
		p.abort()
		return nil, err
	}
	return p, nil
}

// spawn clones the process: husk-init running prog when there is one,
// else the Go init (through husk-init when namespaces are joined first).
func spawn(l launch, prog *cinit.Program) (*initProcess, error) {
	cmd, err := processCommand(l)
	if err != nil {
		return nil, err
	}
	sock, child, err := newSyncPair()
	if err != nil {
		return nil, err
	}
	fdSync := syncFD(l)
	cmd.ExtraFiles = append(append([]*os.File(nil), l.extra...), child)
	if l.fifo != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, l.fifo)
	}
	cmd.Env = []string{envInitFD + "=" + strconv.Itoa(fdSync)}
	if prog != nil {
		cmd.Env = []string{cinit.Env + "=" + strconv.Itoa(fdSync)}
		// Queued before the clone, the program is there the moment the
		// init asks for it.
		if err := sendProgram(sock, prog); err != nil {
			sock.close()
			child.Close()
			return nil, err
		}
	}
	if len(l.join) > 0 {
		cmd.Env = append(cmd.Env, namespaces.JoinEnv(fdSync))
	}

	exe, goExe, err := initExecutables(l, prog)
	if err != nil {
		sock.close()
		child.Close()
		return nil, err
	}
	cmd.Path = "/proc/self/fd/" + strconv.Itoa(int(exe.Fd()))
	if goExe != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, goExe)
		cmd.Env = append(cmd.Env, envGoInitExe+"="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	}

	err = cloneProcess(cmd, l)
	exe.Close()
	if goExe != nil {
		goExe.Close()
	}
	child.Close()
	if err != nil {
		sock.close()
		return nil, fmt.Errorf("start container process: %w", err)
	}
	slog.Debug("cloned", "pid", cmd.Pid, "at", time.Now().Format("05.000000"), "flags", fmt.Sprintf("%#x", cmd.SysProcAttr.Cloneflags),
		"join", len(l.join), "exec", l.cfg.Exec, "program", prog != nil)
	return &initProcess{cmd: cmd, sock: sock, prog: prog}, nil
}

// envGoInitExe names the fd of this binary that husk-init execs as the Go
// init once it has joined the launch's namespaces.
const envGoInitExe = "_HUSK_GOINIT_EXE"

// initExecutables opens, sealed (see sealedBinary), what the process
// execs: husk-init for a program or for joins, else this binary, the Go
// init. With joins and no program, husk-init execs goExe, this binary,
// after them.
func initExecutables(l launch, prog *cinit.Program) (exe, goExe *os.File, err error) {
	if prog == nil && len(l.join) == 0 {
		exe, err = sealedBinary("/proc/self/exe")
		return exe, nil, err
	}
	path, err := initBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("join namespaces: %w", err)
	}
	if exe, err = sealedBinary(path); err != nil {
		return nil, nil, err
	}
	if prog == nil {
		if goExe, err = sealedBinary("/proc/self/exe"); err != nil {
			exe.Close()
			return nil, nil, err
		}
	}
	return exe, goExe, nil
}

// sendProgram writes the C init's program to the socket as one packet.
func sendProgram(sock *syncSocket, prog *cinit.Program) error {
	if err := unix.Sendmsg(sock.fd, prog.Bytes(), nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("send program: %w", os.NewSyscallError("sendmsg", err))
	}
	return nil
}

// cloneProcess starts cmd, inside its cgroup when l says how. The clone
// happens on this goroutine's thread, which is locked meanwhile: it is the
// thread that enters the cgroup, and the one the kernel ties the child's
// parent-death signal to.
func cloneProcess(cmd *child, l launch) error {
	if l.cloneInto == nil {
		return timerslack.Start(cmd.Start)
	}
	goruntime.LockOSThread()
	c, err := l.cloneInto()
	if err != nil {
		goruntime.UnlockOSThread()
		return err
	}
	if c.FD >= 0 {
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, c.FD
	}

	err = timerslack.Start(cmd.Start)
	if leaveErr := c.Leave(); leaveErr != nil {
		// The thread may still be in the container's cgroup: keep it
		// locked so that Go ends it with this goroutine, and give up.
		if err == nil {
			cmd.Kill()
			cmd.Wait()
		}
		return leaveErr
	}
	goruntime.UnlockOSThread()
	return err
}

// processCommand builds the clone of this binary that becomes the process.
func processCommand(l launch) (*child, error) {
	var flags uintptr
	if l.cfg.Spec.Linux != nil && !l.cfg.Exec {
		f, err := namespaces.CloneFlags(l.cfg.Spec.Linux.Namespaces)
		if err != nil {
			return nil, err
		}
		flags = f
	}
	attr := &syscall.SysProcAttr{
		Cloneflags: flags,
		// A session of its own: terminal signals reach the container
		// only through its parent, and the process may take a pty as
		// its controlling terminal.
		Setsid:    true,
		Pdeathsig: syscall.Signal(l.cfg.Pdeathsig),
	}
	if l.cfg.UnshareCgroup {
		attr.Cloneflags &^= syscall.CLONE_NEWCGROUP
	}
	if !l.cfg.Exec {
		if err := idMappings(l.cfg.Spec, attr); err != nil {
			return nil, err
		}
	}
	return &child{Args: []string{"husk-init"}, SysProcAttr: attr,
		Stdin: l.stdio.Stdin, Stdout: l.stdio.Stdout, Stderr: l.stdio.Stderr}, nil
}

// unshareCgroupLater says whether a new cgroup namespace moves from the
// clone to the process itself. The namespace must be rooted at the
// container's cgroup, and a namespace made by the clone is rooted at the
// cloning thread's cgroups: on v1 the thread is inside only the v1
// hierarchies, and a process joining namespaces is added to its cgroup
// after the clone. So the process unshares the namespace itself, inside
// its cgroup. In a new user namespace the kernel refuses that unshare
// (see the closing notes); the namespace then stays with the clone.
func unshareCgroupLater(cfg *initConfig) bool {
	if cfg.Exec || cfg.Spec.Linux == nil {
		return false
	}
	f, err := namespaces.CloneFlags(cfg.Spec.Linux.Namespaces)
	return err == nil && f&syscall.CLONE_NEWCGROUP != 0 && f&syscall.CLONE_NEWUSER == 0
}

// handshake joins namespaces, sends the config and reads the process's
// reports until it is ready, has exec'd, or has failed.
func (p *initProcess) handshake(l launch) error {
	if len(l.join) > 0 {
		if err := p.enterNamespaces(l.join); err != nil {
			return err
		}
	}
	if l.beforeConfig != nil {
		if err := l.beforeConfig(p.pid()); err != nil {
			return err
		}
	}

	if p.prog != nil {
		return p.setUpAndReport(l) // the program went before the clone
	}

	l.cfg.Pid = p.pid()
	if err := l.cfg.compileSeccomp(); err != nil {
		return err
	}
	raw, err := json.Marshal(l.cfg)
	if err != nil {
		return fmt.Errorf("encode init config: %w", err)
	}
	if err := p.sock.send(message{Type: msgConfig, Config: raw}); err != nil {
		return p.whyGone(l, err)
	}
	return p.setUpAndReport(l)
}

// whyGone explains a failure that comes of the process having gone: a
// send that found its end closed (husk-init failed before it read
// anything), or a whileSetUp that found it exited (errInitGone). The
// error it reported, or how it exited, says more.
func (p *initProcess) whyGone(l launch, err error) error {
	if !errors.Is(err, unix.EPIPE) && !errors.Is(err, errInitGone) {
		return err
	}
	if rerr := p.readReports(l); rerr != nil {
		return rerr
	}
	return err
}

// setUpAndReport runs l.whileSetUp, then reads the process's reports.
func (p *initProcess) setUpAndReport(l launch) error {
	if l.whileSetUp != nil {
		if err := l.whileSetUp(p.pid()); err != nil {
			return p.whyGone(l, err)
		}
	}
	return p.readReports(l)
}

// errInitGone is whileSetUp's error when the process exited before it
// could be recorded.
var errInitGone = errors.New("container init exited during create")

// enterNamespaces sends the namespaces to join to husk-init and,
// when it forks into a joined pid namespace, learns the real pid.
func (p *initProcess) enterNamespaces(join []namespaces.Join) error {
	if err := namespaces.SendJoin(p.sock.fd, join); err != nil {
		return err
	}
	if !namespaces.JoinsPid(join) {
		return nil
	}
	m, _, err := p.sock.recv()
	if errors.Is(err, io.EOF) {
		return p.diedEarly()
	}
	if err != nil {
		return fmt.Errorf("read from container process: %w", err)
	}
	if m.Type == msgError {
		return m.initError()
	}
	if m.Type != "pid" || m.Pid <= 0 {
		return fmt.Errorf("unexpected %q message from nsenter", m.Type)
	}
	p.realPid = m.Pid
	return nil
}

func (p *initProcess) readReports(l launch) error {
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
			return fmt.Errorf("read from container process: %w", err)
		}

		switch m.Type {
		case msgConsole:
			if len(fds) != 1 {
				return fmt.Errorf("console message carried %d fds, want 1", len(fds))
			}
			p.console = os.NewFile(uintptr(fds[0]), "pty-master")
		case msgHooks:
			if err := p.runParentHooks(l); err != nil {
				return err
			}
		case msgReady:
			if p.prog != nil {
				slog.Debug("c init ready", "pid", p.pid())
			} else {
				slog.Debug("go init ready", "pid", p.pid(), "steps", m.Times)
			}
			return nil
		case msgExec:
			execing = true
		case msgError:
			return m.initError()
		default:
			return fmt.Errorf("unexpected %q message from container process", m.Type)
		}
	}
}

// runParentHooks runs the hooks the init asked for and tells it the
// outcome; a failed hook fails the create.
func (p *initProcess) runParentHooks(l launch) error {
	var err error
	if l.hooks != nil {
		err = l.hooks(p.pid())
	}
	if err != nil {
		p.sock.send(message{Type: msgError, Error: err.Error()})
		return err
	}
	return p.sock.send(message{Type: msgHooksOK})
}

// diedEarly reaps a process that closed its socket without a report and
// says how it ended.
func (p *initProcess) diedEarly() error {
	ws, err := p.cmd.Wait()
	if err != nil {
		return fmt.Errorf("container process exited before it started: %w", err)
	}
	return fmt.Errorf("container process exited before it started (status %d)", waitStatus(ws))
}

// abort kills and reaps a process that failed, so nothing is left running.
func (p *initProcess) abort() {
	if p.realPid > 0 {
		syscall.Kill(p.realPid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(p.realPid, &ws, 0, nil)
	}
	if p.cmd.started() {
		p.cmd.Kill()
		p.cmd.Wait()
	}
	p.sock.close()
	if p.console != nil {
		p.console.Close()
	}
}

// start releases a process waiting in msgReady (WaitStart) and waits until
// the user process has been exec'd.
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
			return fmt.Errorf("read from container process: %w", err)
		}
		if m.Type == msgError {
			return m.initError()
		}
	}
}

// pid returns the pid of the process on the host.
func (p *initProcess) pid() int {
	if p.realPid > 0 {
		return p.realPid
	}
	return p.cmd.Pid
}

// wait waits for the process to exit and returns its shell-style code.
func (p *initProcess) wait() (int, error) {
	defer p.sock.close()
	if p.realPid > 0 {
		p.cmd.Wait() // the intermediate exits as soon as it has forked
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(p.realPid, &ws, 0, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				return -1, fmt.Errorf("wait for pid %d: %w", p.realPid, err)
			}
			return waitStatus(ws), nil
		}
	}

	ws, err := p.cmd.Wait()
	if err != nil {
		return -1, err
	}
	return waitStatus(ws), nil
}

// waitStatus turns a wait status into a shell-style exit code:
// the process's status, or 128+N when it died of signal N.
func waitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/rootfs"
)

// envInitFD tells husk's binary, exec'd as a container's Go init (or an
// exec'd process), which fd is its end of the sync socket.
const envInitFD = "_HUSK_INIT_FD"

// IsInit reports whether this process was started as a container's init.
func IsInit() bool {
	return os.Getenv(envInitFD) != ""
}

// Init runs the container's init: it sets up the container and execs the
// user process, or reports the failure to the parent and exits. It never
// returns.
func Init() {
	// Capabilities, no_new_privs, the parent-death signal and seccomp are
	// per thread: every step and the final execve must run on this one.
	goruntime.LockOSThread()

	fd, err := strconv.Atoi(os.Getenv(envInitFD))
	if err != nil {
		fmt.Fprintf(os.Stderr, "husk init: bad %s: %v\n", envInitFD, err)
		os.Exit(1)
	}
	os.Unsetenv(envInitFD)
	// The fd arrived through exec without close-on-exec. It must close
	// when the user process is exec'd: that EOF tells the parent it ran.
	unix.CloseOnExec(fd)

	sock := &syncSocket{fd: fd}
	if err := runInit(sock); err != nil {
		reportInitError(sock, err)
		os.Exit(exitOf(err))
	}
	os.Exit(0) // not reached: runInit only returns on failure
}

// stepError ties a failure to the init step it happened in.
type stepError struct {
	step string
	exit int
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func step(name string, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{step: name, err: err}
}

func exitOf(err error) int {
	var se *stepError
	if errors.As(err, &se) && se.exit != 0 {
		return se.exit
	}
	return 1
}

// reportInitError sends the failure to the parent, or, when the parent has
// gone (a started `huskrt create`), writes it to the container's stderr.
func reportInitError(sock *syncSocket, err error) {
	m := message{Type: msgError, Step: "init", Error: err.Error()}
	var se *stepError
	if errors.As(err, &se) {
		m.Step, m.Error, m.Exit = se.step, se.err.Error(), se.exit
	}
	if sendErr := sock.send(m); sendErr != nil {
		fmt.Fprintf(os.Stderr, "husk init: %s: %s\n", m.Step, m.Error)
	}
}

// runInit is the init's whole sequence. The order matters: mounts and
// pivot_root need full privileges, the user lookup needs the container's
// /etc, and capabilities are dropped last, just before execve.
func runInit(sock *syncSocket) error {
	steps.mark("start")
	cfg, err := readConfig(sock)
	if err != nil {
		return step("read config", err)
	}
	steps.mark("config")
	if cfg.Exec {
		return runExecInit(sock, cfg)
	}
	spec := cfg.Spec

	if cfg.UnshareCgroup {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return step("cgroup namespace", os.NewSyscallError("unshare", err))
		}
	}
	if !cfg.NoNewKeyring {
		if err := joinSessionKeyring(cfg.ID); err != nil {
			return step("keyring", err)
		}
	}
	setup := rootfs.Config{Spec: spec, RootMount: cfg.RootMount,
		BeforePivot: func() error { return beforePivot(sock, cfg) }}
	if err := rootfs.Setup(setup); err != nil {
		var se *stepError
		if errors.As(err, &se) {
			return err
		}
		return step("rootfs", err)
	}
	steps.mark("rootfs")
	if err := setIdentity(spec); err != nil {
		return step("hostname", err)
	}
	if spec.Linux != nil && hasNamespace(spec, specs.NetworkNamespace, true) {
		if err := loopbackUp(); err != nil {
			return step("loopback", err)
		}
	}
	return runProcess(sock, cfg)
}

// runExecInit runs a process in a container whose namespaces it has
// already joined (see cmd/husk-init/nsenter.c).
func runExecInit(sock *syncSocket, cfg *initConfig) error {
	return runProcess(sock, cfg)
}

// runProcess resolves the user process, waits for the go-ahead and
// execs it.
func runProcess(sock *syncSocket, cfg *initConfig) error {
	steps.mark("identity")
	proc, err := prepareProcess(cfg)
	if err != nil {
		return err
	}
	steps.mark("process")
	if cfg.Spec.Process.Terminal {
		if err := setupConsole(sock, cfg.Spec.Process.ConsoleSize, proc.user.UID, !cfg.Exec); err != nil {
			return step("console", err)
		}
	}

	switch {
	case cfg.WaitStart:
		if err := waitStart(sock); err != nil {
			return step("wait for start", err)
		}
	case cfg.ExecFifo != 0:
		if err := sock.send(message{Type: msgReady, Times: steps.String()}); err != nil {
			return step("ready", err)
		}
		if err := waitFifo(cfg.ExecFifo); err != nil {
			return step("exec fifo", err)
		}
	}
	if !cfg.Exec && cfg.Spec.Hooks != nil {
		err := runHooks("startContainer", cfg.Spec.Hooks.StartContainer, cfg.state(specs.StateRunning))
		if err != nil {
			return step("hooks", err)
		}
	}
	return proc.exec(sock)
}

// beforePivot runs between the mounts and pivot_root: the parent runs the
// prestart and createRuntime hooks in the runtime's namespaces, then the
// init runs createContainer hooks in the container's.
func beforePivot(sock *syncSocket, cfg *initConfig) error {
	h := cfg.Spec.Hooks
	if h == nil {
		return nil
	}
	if len(h.Prestart)+len(h.CreateRuntime) > 0 {
		if err := askParent(sock, msgHooks, msgHooksOK); err != nil {
			return step("hooks", err)
		}
	}
	return step("hooks", runHooks("createContainer", h.CreateContainer, cfg.state(specs.StateCreating)))
}

func readConfig(sock *syncSocket) (*initConfig, error) {
	m, _, err := sock.recv()
	if err != nil {
		return nil, err
	}
	if m.Type != msgConfig {
		return nil, fmt.Errorf("got %q message, want %q", m.Type, msgConfig)
	}

	var cfg initConfig
	if err := json.Unmarshal(m.Config, &cfg); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if cfg.Spec == nil || cfg.Spec.Process == nil || cfg.Spec.Root == nil {
		return nil, errors.New("spec has no process or root")
	}
	return &cfg, nil
}

func waitStart(sock *syncSocket) error {
	return askParentMsg(sock, message{Type: msgReady, Times: steps.String()}, msgStart)
}

// stepTimes records how long each step of the init took; the parent logs
// them at --debug.
type stepTimes struct {
	last time.Time
	b    strings.Builder
}

var steps stepTimes

func (s *stepTimes) mark(name string) {
	now := time.Now()
	if !s.last.IsZero() {
		fmt.Fprintf(&s.b, "%s=%s ", name, now.Sub(s.last).Round(10*time.Microsecond))
	}
	s.last = now
}

func (s *stepTimes) String() string { return strings.TrimSpace(s.b.String()) }

// askParent sends a message of type ask and waits for one of type want.
// An error message from the parent is returned as an error.
func askParent(sock *syncSocket, ask, want string) error {
	return askParentMsg(sock, message{Type: ask}, want)
}

func askParentMsg(sock *syncSocket, ask message, want string) error {
	if err := sock.send(ask); err != nil {
		return err
	}
	m, _, err := sock.recv()
	if errors.Is(err, io.EOF) {
		return errors.New("parent went away")
	}
	if err != nil {
		return err
	}
	if m.Type == msgError {
		return errors.New(m.Error)
	}
	if m.Type != want {
		return fmt.Errorf("got %q message, want %q", m.Type, want)
	}
	return nil
}

// waitFifo blocks until `start` opens the exec fifo for reading, then
// writes the byte it waits for. The fifo was opened O_PATH before
// pivot_root; reopening it through /proc/self/fd reaches it from inside.
// The write end stays open, close-on-exec, until the user process is
// exec'd: `start` waits for that end of file before it runs the
// poststart hooks, which the runtime spec puts after the exec (and so
// after the startContainer hooks run here).
func waitFifo(fd int) error {
	f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	unix.Close(fd)

	_, err = f.Write([]byte{0})
	return err
}

// joinSessionKeyring gives the container a session keyring of its own, so
// it cannot read the keys of the caller's session.
func joinSessionKeyring(id string) error {
	_, err := unix.KeyctlJoinSessionKeyring("_ses." + id)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return nil // no keyrings here, or forbidden by a seccomp profile above us
	}
	return err
}

// setIdentity sets the hostname and domain name of a new uts namespace.
func setIdentity(spec *specs.Spec) error {
	if spec.Hostname == "" && spec.Domainname == "" {
		return nil
	}
	if !hasNamespace(spec, specs.UTSNamespace, false) {
		return errors.New("hostname or domainname set without a uts namespace of the container's own")
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", spec.Hostname, err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("set domainname %q: %w", spec.Domainname, err)
		}
	}
	return nil
}

// hasNamespace reports whether spec lists a namespace of type t; with
// onlyNew, only a new one (not joined by path) counts.
func hasNamespace(spec *specs.Spec, t specs.LinuxNamespaceType, onlyNew bool) bool {
	if spec.Linux == nil {
		return false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t && (!onlyNew || ns.Path == "") {
			return true
		}
	}
	return false
}

// loopbackUp brings up lo in the container's network namespace, as every
// runtime does, so 127.0.0.1 works inside.
func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(s)

	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}

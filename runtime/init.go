package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/namespaces"
	"husk/rootfs"
)

// envInitFD tells a re-executed husk binary that it is a container's init
// and which fd is its end of the sync socket.
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
		os.Exit(1)
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

func reportInitError(sock *syncSocket, err error) {
	m := message{Type: msgError, Step: "init", Error: err.Error()}
	var se *stepError
	if errors.As(err, &se) {
		m.Step, m.Error, m.Exit = se.step, se.err.Error(), se.exit
	}
	if sendErr := sock.send(m); sendErr != nil {
		fmt.Fprintf(os.Stderr, "husk init: %v\n", err)
	}
}

// runInit is the init's whole sequence. The order matters: mounts and
// pivot_root need full privileges, the user lookup needs the container's
// /etc, and capabilities are dropped last, just before execve.
func runInit(sock *syncSocket) error {
	cfg, err := readConfig(sock)
	if err != nil {
		return step("read config", err)
	}
	spec := cfg.Spec

	if err := rootfs.Setup(rootfs.Config{Spec: spec, RootMount: cfg.RootMount}); err != nil {
		return step("rootfs", err)
	}
	if err := setIdentity(spec); err != nil {
		return step("hostname", err)
	}
	if spec.Linux != nil && namespaces.Has(spec.Linux.Namespaces, specs.NetworkNamespace) {
		if err := loopbackUp(); err != nil {
			return step("loopback", err)
		}
	}

	proc, err := prepareProcess(cfg)
	if err != nil {
		return err
	}
	if spec.Process.Terminal {
		if err := setupConsole(sock, spec.Process.ConsoleSize, proc.user.UID); err != nil {
			return step("console", err)
		}
	}
	if cfg.WaitStart {
		if err := waitStart(sock); err != nil {
			return step("wait for start", err)
		}
	}
	return proc.exec(sock)
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
	if err := sock.send(message{Type: msgReady}); err != nil {
		return err
	}
	m, _, err := sock.recv()
	if errors.Is(err, io.EOF) {
		return errors.New("parent went away")
	}
	if err != nil {
		return err
	}
	if m.Type != msgStart {
		return fmt.Errorf("got %q message, want %q", m.Type, msgStart)
	}
	return nil
}

// setIdentity sets the hostname and domain name of a new uts namespace.
func setIdentity(spec *specs.Spec) error {
	if spec.Hostname == "" && spec.Domainname == "" {
		return nil
	}
	if spec.Linux == nil || !namespaces.Has(spec.Linux.Namespaces, specs.UTSNamespace) {
		return errors.New("hostname or domainname set without a new uts namespace")
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

package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/internal/fsutil"
	"husk/namespaces"
)

// CreateOptions describe a container to create.
type CreateOptions struct {
	ID     string
	Bundle string
	Spec   *specs.Spec
	Stdio  Stdio

	// ConsoleSocket is the path of a unix socket that receives the pty
	// master (process.terminal), as runc sends it.
	ConsoleSocket string
	// PidFile receives the init's pid once it is created.
	PidFile string
	// PreserveFDs passes the caller's fds 3 .. 3+N-1 to the process.
	PreserveFDs  int
	NoNewKeyring bool

	// RootMount is mounted at Spec.Root.Path inside the container's mount
	// namespace (an overlay of image layers); nil bind-mounts the rootfs.
	// Living only in that namespace, it goes away with the container.
	RootMount *specs.Mount
	// User, when set, is resolved in the container's /etc/passwd and
	// /etc/group and replaces Spec.Process.User's ids.
	User string

	// Foreground starts the process at once instead of waiting for Start
	// (husk run, huskrt run), with its parent-death signal when
	// KillWithParent is set.
	Foreground     bool
	KillWithParent bool

	// NoSpecCopy leaves out the copy of the spec (config.json in the
	// state dir) that exec reads for the process's defaults; the hooks
	// that start and delete run are kept in the state. A caller that
	// never execs into the container needs no copy; encoding the spec is
	// encoding/json's reflection over every spec type, ~0.7 ms of a husk
	// run here.
	NoSpecCopy bool
	// SpecJSON, when set, is the config.json Spec was decoded from, kept
	// as the copy instead of encoding Spec again (its root path may be
	// relative to Bundle).
	SpecJSON []byte
}

// Create creates a container: its init exists, set up and held before the
// user process runs, until Start (or at once, for Foreground). On failure
// nothing of it is left: no process, state or cgroup.
func (r *Runtime) Create(o CreateOptions) (*Process, error) {
	if err := checkID(o.ID); err != nil {
		return nil, err
	}
	if err := Validate(o.Spec); err != nil {
		return nil, err
	}
	if o.Spec.Process.Terminal && o.ConsoleSocket == "" && !o.Foreground {
		return nil, errors.New("process.terminal is set: --console-socket is required")
	}
	if err := os.Mkdir(r.dir(o.ID), 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("container %q already exists", o.ID)
		}
		return nil, fmt.Errorf("create state dir of %q: %w", o.ID, err)
	}

	p, err := r.create(o)
	if err != nil {
		os.RemoveAll(r.dir(o.ID))
		return nil, err
	}
	return p, nil
}

func (r *Runtime) create(o CreateOptions) (_ *Process, err error) {
	unlock, err := r.lock(o.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()

	st := &State{
		State: specs.State{Version: specs.Version, ID: o.ID, Bundle: o.Bundle,
			Annotations: o.Spec.Annotations, Status: specs.StateCreating},
		Rootfs: o.Spec.Root.Path, Created: time.Now().UTC(),
		Hooks: o.Spec.Hooks, HooksKept: true,
	}
	var compiled chan compiledSeccomp
	if o.Spec.Linux.Seccomp != nil {
		compiled = startSeccomp(o.Spec.Linux.Seccomp, r.SeccompCache)
	}
	l, fifo, err := r.launchFor(o, st)
	if err != nil {
		return nil, err
	}
	if fifo != nil {
		defer fifo.Close()
	}
	l.cfg.seccomp = compiled
	l.whileSetUp = func(pid int) error { return r.persist(o, st, pid) }

	start := time.Now()
	cg, err := r.newCgroup(st, o.Spec)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cg.Destroy()
		}
	}()
	init, err := startInCgroup(l, cg, o.Spec)
	if err != nil {
		return nil, err
	}
	if err := applyPidsLimit(cg, o.Spec); err != nil {
		init.abort()
		return nil, err
	}
	slog.Debug("init ready", "container", o.ID, "pid", init.pid(), "took", time.Since(start))

	p := &Process{ID: o.ID, Pid: init.pid(), rt: r, init: init, spec: o.Spec, state: st}
	if err := r.finishCreate(o, st, p); err != nil {
		init.abort()
		return nil, err
	}
	return p, nil
}

// launchFor prepares the init's launch: its config, fds, the namespaces it
// joins and the parent's hooks; the caller adds its cgroup.
func (r *Runtime) launchFor(o CreateOptions, st *State) (launch, *os.File, error) {
	cfg := &initConfig{
		Spec: o.Spec, ID: o.ID, Bundle: o.Bundle, RootMount: o.RootMount, User: o.User,
		PreserveFDs: o.PreserveFDs, NoNewKeyring: o.NoNewKeyring, WaitStart: o.Foreground,
	}
	if o.KillWithParent {
		cfg.Pdeathsig = int(unix.SIGKILL)
	}
	l := launch{cfg: cfg, stdio: o.Stdio, extra: preservedFiles(o.PreserveFDs),
		join: namespaces.Joins(o.Spec.Linux.Namespaces)}

	l.hooks = func(pid int) error {
		s := st.State
		s.Pid, s.Status = pid, specs.StateCreated
		h := o.Spec.Hooks
		if h == nil {
			return nil
		}
		if err := runHooks("prestart", h.Prestart, &s); err != nil { //nolint:staticcheck // still honoured
			return err
		}
		return runHooks("createRuntime", h.CreateRuntime, &s)
	}
	if o.Foreground {
		return l, nil, nil
	}

	fifo, err := openFifo(r.fifoPath(o.ID))
	if err != nil {
		return l, nil, err
	}
	// The init opens the fifo for writing as the container's root.
	if uid, gid := hostRoot(o.Spec); uid != 0 || gid != 0 {
		if err := os.Chown(r.fifoPath(o.ID), uid, gid); err != nil {
			fifo.Close()
			return l, nil, fmt.Errorf("chown exec fifo: %w", err)
		}
	}
	l.fifo = fifo
	return l, fifo, nil
}

// openFifo makes the exec fifo and opens it O_PATH, an fd the init can
// reopen for writing from inside the container.
func openFifo(path string) (*os.File, error) {
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("create exec fifo %q: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open exec fifo %q: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// preservedFiles returns the caller's fds 3 .. 3+n-1.
func preservedFiles(n int) []*os.File {
	files := make([]*os.File, n)
	for i := range files {
		files[i] = os.NewFile(uintptr(3+i), "preserved-"+strconv.Itoa(3+i))
	}
	return files
}

// finishCreate completes the record of the created container, whose
// state and spec persist wrote: console, then pid file, so a pid file
// never names a container whose state is not on disk.
func (r *Runtime) finishCreate(o CreateOptions, st *State, p *Process) error {
	if o.ConsoleSocket != "" && p.init.console != nil {
		err := sendConsole(o.ConsoleSocket, p.init.console)
		p.init.console.Close()
		p.init.console = nil
		if err != nil {
			return err
		}
	}
	p.Console = p.init.console

	if o.PidFile != "" {
		return writePidFile(o.PidFile, p.Pid)
	}
	return nil
}

// persist writes the created container's spec and state while its init
// sets itself up; finishCreate then completes the record.
func (r *Runtime) persist(o CreateOptions, st *State, pid int) error {
	st.Pid = pid
	start, err := processStartTime(pid)
	if err != nil {
		return fmt.Errorf("%w: %w", errInitGone, err)
	}
	st.StartTime = start
	if !o.NoSpecCopy {
		if err := r.saveSpec(o.ID, o.Spec, o.SpecJSON); err != nil {
			return err
		}
	}
	return r.save(st)
}

// writePidFile writes pid atomically, as callers poll for the file.
func writePidFile(path string, pid int) error {
	return fsutil.WriteFile(path, []byte(strconv.Itoa(pid)), 0o644, false)
}

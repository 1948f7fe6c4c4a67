package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/namespaces"
)

// ExecOptions describe a process to run in a running container.
type ExecOptions struct {
	ID      string
	Process *specs.Process
	Stdio   Stdio
	// ConsoleSocket receives the pty master when Process.Terminal is set;
	// without one, the master is returned in Process.Console.
	ConsoleSocket string
	PidFile       string
	PreserveFDs   int
}

// Exec starts a process in every namespace and the cgroup of a running
// container, with the user, capabilities, no_new_privs, AppArmor profile
// and seccomp filter its spec asks for. It returns once the process has
// been exec'd.
func (r *Runtime) Exec(o ExecOptions) (*Process, error) {
	st, err := r.State(o.ID)
	if err != nil {
		return nil, err
	}
	if st.Status != specs.StateRunning && st.Status != specs.StateCreated {
		return nil, fmt.Errorf("container %q is %s: exec needs a running container", o.ID, st.Status)
	}
	spec, err := r.Spec(o.ID)
	if err != nil {
		return nil, err
	}
	if spec.Root != nil && !filepath.IsAbs(spec.Root.Path) {
		spec.Root.Path = st.Rootfs // a copy of the caller's config.json
	}
	if o.Process == nil {
		return nil, errors.New("exec: no process given")
	}
	if err := validateProcess(o.Process); err != nil {
		return nil, err
	}

	execSpec := *spec
	execSpec.Process = o.Process
	cfg := &initConfig{Spec: &execSpec, ID: o.ID, Bundle: st.Bundle, Exec: true, PreserveFDs: o.PreserveFDs}
	l := launch{cfg: cfg, stdio: o.Stdio, extra: preservedFiles(o.PreserveFDs),
		join: namespaces.OfProcess(st.Pid, spec.Linux.Namespaces)}
	joinCgroup(&l, r.loadCgroup(st))

	init, err := startProcess(l, nil)
	if err != nil {
		return nil, err
	}
	slog.Debug("exec started", "container", o.ID, "pid", init.pid())
	p := &Process{ID: o.ID, Pid: init.pid(), rt: r, init: init, Console: init.console}
	if err := r.finishExec(o, p); err != nil {
		init.abort()
		return nil, err
	}
	return p, nil
}

func (r *Runtime) finishExec(o ExecOptions, p *Process) error {
	if o.ConsoleSocket != "" && p.Console != nil {
		err := sendConsole(o.ConsoleSocket, p.Console)
		p.Console.Close()
		p.Console, p.init.console = nil, nil
		if err != nil {
			return err
		}
	}
	if o.PidFile != "" {
		return writePidFile(o.PidFile, p.Pid)
	}
	return nil
}

package runtime

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/capabilities"
	"husk/rootfs"
	"husk/runtime/cinit"
	"husk/user"
)

// goInitReason says why the container's set-up needs the Go init rather
// than a program for the C init (package cinit), or "" when a program can
// express it. The C init has no hooks, terminal, user namespace, joined
// namespace or LSM, and runs only new containers; those go to the Go init,
// which does everything.
func goInitReason(l launch) string {
	cfg := l.cfg
	spec := cfg.Spec
	switch {
	case cfg.Exec || len(l.join) > 0:
		return "joins namespaces"
	case spec.Linux == nil || spec.Process == nil:
		return "no linux or process section"
	case hasNamespace(spec, specs.UserNamespace, false):
		return "user namespace"
	case spec.Process.Terminal:
		return "terminal"
	case spec.Process.ApparmorProfile != "" || spec.Process.SelinuxLabel != "" ||
		spec.Linux.MountLabel != "" || spec.Linux.Personality != nil:
		return "LSM label or personality"
	case len(spec.Process.Args) == 0:
		return "no process.args"
	case (spec.Hostname != "" || spec.Domainname != "") && !hasNamespace(spec, specs.UTSNamespace, false):
		return "hostname without a uts namespace"
	}
	if h := spec.Hooks; h != nil && len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer)+len(h.StartContainer) > 0 { //nolint:staticcheck // prestart is still honoured
		return "hooks"
	}
	for _, m := range spec.Mounts {
		switch strings.TrimRight(m.Destination, "/") {
		case "/etc", "/etc/passwd", "/etc/group":
			return "a mount over the user database"
		}
	}
	for _, r := range spec.Process.Rlimits {
		if _, ok := rlimitByName[r.Type]; !ok {
			return "unknown rlimit"
		}
	}
	return ""
}

// buildProgram compiles the container's whole set-up, in the order the Go
// init takes (runInit, prepareProcess, exec), into a program for the C
// init. An error wrapping rootfs.ErrNeedsGoInit means the Go init must do
// it; other errors are the container's.
func buildProgram(cfg *initConfig) (*cinit.Program, error) {
	spec := cfg.Spec
	p := cinit.New()

	if len(cfg.joinTasks) > 0 {
		p.Add(cinit.OpStep, "join cgroup")
		for _, tasks := range cfg.joinTasks {
			p.Add(cinit.OpWrite, tasks, "0")
		}
	}
	if cfg.UnshareCgroup {
		p.Add(cinit.OpStep, "cgroup namespace")
		p.Add(cinit.OpUnshare, cinit.Num(unix.CLONE_NEWCGROUP))
	}
	if !cfg.NoNewKeyring {
		p.Add(cinit.OpStep, "keyring")
		p.Add(cinit.OpKeyring, "_ses."+cfg.ID)
	}
	if err := rootfs.Program(rootfs.Config{Spec: spec, RootMount: cfg.RootMount}, p); err != nil {
		return nil, err
	}
	p.Add(cinit.OpStep, "hostname")
	if spec.Hostname != "" {
		p.Add(cinit.OpHostname, spec.Hostname)
	}
	if spec.Domainname != "" {
		p.Add(cinit.OpDomainname, spec.Domainname)
	}
	if hasNamespace(spec, specs.NetworkNamespace, true) {
		p.Add(cinit.OpStep, "loopback")
		p.Add(cinit.OpLoopback)
	}
	u, env, err := addProcess(p, cfg)
	if err != nil {
		return nil, err
	}
	if err := addExec(p, cfg, u, env); err != nil {
		return nil, err
	}
	return p, nil
}

// addProcess adds prepareProcess's steps and returns the user and the
// process's environment.
func addProcess(p *cinit.Program, cfg *initConfig) (user.User, []string, error) {
	proc := cfg.Spec.Process
	u, err := resolveUserOutside(cfg)
	if err != nil {
		return user.User{}, nil, &stepError{step: "user", err: err}
	}
	env := withHome(proc.Env, u.Home)
	p.Add(cinit.OpStep, "rlimits")
	for _, r := range proc.Rlimits {
		p.Add(cinit.OpRlimit, strconv.Itoa(rlimitByName[r.Type]), cinit.Num(r.Soft), cinit.Num(r.Hard))
	}
	if proc.OOMScoreAdj != nil {
		p.Add(cinit.OpStep, "oom_score_adj")
		p.Add(cinit.OpWrite, "/proc/self/oom_score_adj", strconv.Itoa(*proc.OOMScoreAdj))
	}
	p.Add(cinit.OpStep, "cwd")
	p.Add(cinit.OpCwd, workdir(proc))

	p.Add(cinit.OpStep, "exec")
	p.Add(cinit.OpLookup, proc.Args[0], searchPath(env))

	p.Add(cinit.OpStep, "wait for start")
	switch {
	case cfg.WaitStart:
		p.Add(cinit.OpWaitStart)
	case cfg.ExecFifo != 0:
		p.Add(cinit.OpStep, "exec fifo")
		p.Add(cinit.OpWaitFifo, strconv.Itoa(cfg.ExecFifo))
	}
	return u, env, nil
}

// addExec adds the steps of userProcess.exec, in its order.
func addExec(p *cinit.Program, cfg *initConfig, u user.User, env []string) error {
	proc := cfg.Spec.Process
	var masks capabilities.Masks
	if proc.Capabilities != nil {
		m, err := capabilities.MasksOf(proc.Capabilities)
		if err != nil {
			return &stepError{step: "capabilities", err: err}
		}
		masks = m
		p.Add(cinit.OpStep, "capabilities")
		p.Add(cinit.OpBounding, cinit.Num(m.Bounding))
	}
	// Without no_new_privs, loading the filter needs CAP_SYS_ADMIN: it
	// goes before the user switch; with it, last, as userProcess.exec.
	addSeccomp := func() {
		if len(cfg.SeccompBPF) > 0 {
			p.Add(cinit.OpStep, "seccomp")
			p.Add(cinit.OpSeccomp, cinit.Num(cfg.SeccompFlags), string(cfg.SeccompBPF))
		}
	}
	if !proc.NoNewPrivileges {
		addSeccomp()
	}
	p.Add(cinit.OpUmask, strconv.Itoa(umask(proc.User)))
	p.Add(cinit.OpStep, "user")
	p.Add(cinit.OpUser, cinit.Num(u.UID), cinit.Num(u.GID), joinNums(u.AdditionalGids),
		boolArg(proc.Capabilities != nil), cinit.Num(masks.Effective), cinit.Num(masks.Permitted),
		cinit.Num(masks.Inheritable), joinNums(masks.Ambient))
	if proc.NoNewPrivileges {
		p.Add(cinit.OpStep, "no_new_privs")
		p.Add(cinit.OpNNP)
	}
	if cfg.Pdeathsig != 0 {
		p.Add(cinit.OpStep, "pdeathsig")
		p.Add(cinit.OpPdeathsig, strconv.Itoa(cfg.Pdeathsig))
	}
	p.Add(cinit.OpStep, "close fds")
	p.Add(cinit.OpCloseFDs, strconv.Itoa(3+cfg.PreserveFDs))
	if proc.NoNewPrivileges {
		addSeccomp()
	}
	p.Add(cinit.OpStep, "exec")
	args := []string{strconv.Itoa(len(proc.Args))}
	args = append(append(args, proc.Args...), env...)
	p.Add(cinit.OpExec, args...)
	return nil
}

// joinNums formats ids or capability numbers as the C init reads them:
// "1,2,3".
func joinNums[T ~int | ~uint32](ns []T) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = cinit.Num(n)
	}
	return strings.Join(s, ",")
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// errUserFiles marks a user database the parent cannot read safely from
// outside (a symlink in an image layer); the Go init reads it inside.
var errUserFiles = fmt.Errorf("user database: %w", rootfs.ErrNeedsGoInit)

// resolveUserOutside is resolveUser for the parent: it reads /etc/passwd
// and /etc/group as the container will see them at its start.
func resolveUserOutside(cfg *initConfig) (user.User, error) {
	spec := cfg.Spec.Process.User
	name := cfg.User
	if name == "" {
		name = strconv.Itoa(int(spec.UID))
	}
	passwd, err := readRootFile(cfg, "etc/passwd")
	if err != nil {
		return user.User{}, err
	}
	group, err := readRootFile(cfg, "etc/group")
	if err != nil {
		return user.User{}, err
	}
	u, err := user.Resolve(name, strings.NewReader(passwd), strings.NewReader(group))
	if cfg.User != "" {
		return u, err
	}
	home := "/"
	if err == nil {
		home = u.Home
	}
	return user.User{UID: spec.UID, GID: spec.GID, AdditionalGids: spec.AdditionalGids, Home: home}, nil
}

package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/capabilities"
	"husk/user"
)

// defaultPath is searched when the process environment has no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// userProcess is the resolved user process, ready to exec.
type userProcess struct {
	cfg  *initConfig
	spec *specs.Process
	user user.User
	path string // the executable, found in the container's PATH
	env  []string
}

// prepareProcess resolves everything about the user process that may fail,
// while the init still has every privilege: user, rlimits, umask,
// oom_score_adj, working directory and the executable.
func prepareProcess(cfg *initConfig) (*userProcess, error) {
	p := &userProcess{cfg: cfg, spec: cfg.Spec.Process}

	u, err := resolveUser(cfg)
	if err != nil {
		return nil, step("user", err)
	}
	p.user = u
	p.env = withHome(p.spec.Env, u.Home)

	if err := setRlimits(p.spec.Rlimits); err != nil {
		return nil, step("rlimits", err)
	}
	if p.spec.OOMScoreAdj != nil {
		adj := strconv.Itoa(*p.spec.OOMScoreAdj)
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(adj), 0); err != nil {
			return nil, step("oom_score_adj", err)
		}
	}
	if err := applyApparmor(p.spec.ApparmorProfile); err != nil {
		return nil, step("apparmor", err)
	}
	if !cfg.Exec && cfg.Spec.Linux != nil {
		if err := setPersonality(cfg.Spec.Linux.Personality); err != nil {
			return nil, step("personality", err)
		}
	}

	cwd := workdir(p.spec)
	// As Docker does, a working directory the image lacks is created.
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return nil, step("cwd", fmt.Errorf("create working directory %q: %w", cwd, err))
	}
	if err := os.Chdir(cwd); err != nil {
		return nil, step("cwd", fmt.Errorf("change to working directory %q: %w", cwd, err))
	}

	if len(p.spec.Args) == 0 {
		return nil, step("exec", errors.New("process.args is empty"))
	}
	path, err := lookPath(p.spec.Args[0], p.env)
	if err != nil {
		return nil, &stepError{step: "exec", exit: execExit(err), err: err}
	}
	p.path = path
	return p, nil
}

// resolveUser returns the process user: the init config's user spec
// resolved in the container's /etc, or the spec's numeric ids.
func resolveUser(cfg *initConfig) (user.User, error) {
	spec := cfg.Spec.Process.User
	if cfg.User != "" {
		return user.ResolveInRoot(cfg.User, "/")
	}

	u := user.User{UID: spec.UID, GID: spec.GID, AdditionalGids: spec.AdditionalGids, Home: "/"}
	if found, err := user.ResolveInRoot(strconv.Itoa(int(spec.UID)), "/"); err == nil {
		u.Home = found.Home
	}
	return u, nil
}

// withHome adds HOME from the user's passwd entry when env has none.
func withHome(env []string, home string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "HOME=") {
			return env
		}
	}
	if home == "" {
		home = "/"
	}
	return append(env[:len(env):len(env)], "HOME="+home)
}

// setRlimits applies the spec's rlimits. It uses the syscall package's
// Setrlimit on purpose: for RLIMIT_NOFILE that also clears the soft limit
// the Go runtime saved at start-up, which syscall.Exec would otherwise
// restore over the spec's value.
func setRlimits(limits []specs.POSIXRlimit) error {
	for _, l := range limits {
		res, ok := rlimitByName[l.Type]
		if !ok {
			return fmt.Errorf("unknown rlimit %q", l.Type)
		}
		lim := syscall.Rlimit{Cur: l.Soft, Max: l.Hard}
		if err := syscall.Setrlimit(res, &lim); err != nil {
			return fmt.Errorf("set %s to soft %d hard %d: %w", l.Type, l.Soft, l.Hard, err)
		}
	}
	return nil
}

var rlimitByName = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE,
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING, "RLIMIT_STACK": unix.RLIMIT_STACK,
}

// workdir is the process's working directory, "/" when the spec has none.
func workdir(p *specs.Process) string {
	if p.Cwd == "" {
		return "/"
	}
	return p.Cwd
}

// searchPath is the PATH of env, or defaultPath without one.
func searchPath(env []string) string {
	path := defaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	return path
}

// lookPath finds file in the PATH of env, inside the container.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		return file, checkExecutable(file)
	}

	var firstErr error
	for _, dir := range filepath.SplitList(searchPath(env)) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, file)
		err := checkExecutable(candidate)
		if err == nil {
			return candidate, nil
		}
		if firstErr == nil && !errors.Is(err, os.ErrNotExist) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", fmt.Errorf("%q: executable file not found in $PATH", file)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%q: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%q: is a directory", path)
	}
	if fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%q: %w", path, unix.EACCES)
	}
	return nil
}

// execExit maps an exec failure to the shell's convention: 127 for a
// command that does not exist, 126 for one that cannot be run.
func execExit(err error) int {
	if errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "not found") {
		return 127
	}
	return 126
}

// exec drops to the process's user and capabilities and execve's it. It
// returns only on failure.
//
// A seccomp filter is loaded as late as possible, so it need not allow the
// set-up's own syscalls; without no_new_privs the kernel only accepts it
// while the process still holds CAP_SYS_ADMIN, so it then goes before the
// switch of user, as runc does.
func (p *userProcess) exec(sock *syncSocket) error {
	filter := p.cfg.seccompProgram()
	caps := p.spec.Capabilities
	if caps != nil {
		if err := capabilities.DropBounding(caps.Bounding); err != nil {
			return step("capabilities", err)
		}
	}
	if filter != nil && !p.spec.NoNewPrivileges {
		if err := filter.Load(); err != nil {
			return step("seccomp", err)
		}
	}
	unix.Umask(umask(p.spec.User))
	if err := capabilities.SetUser(p.user.UID, p.user.GID, p.user.AdditionalGids, caps); err != nil {
		return step("user", err)
	}
	if p.spec.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return step("no_new_privs", os.NewSyscallError("prctl", err))
		}
	}
	if p.cfg.Pdeathsig != 0 {
		// A change of credentials clears the parent-death signal.
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(p.cfg.Pdeathsig), 0, 0, 0); err != nil {
			return step("pdeathsig", os.NewSyscallError("prctl", err))
		}
	}
	if err := closeExtraFDs(sock.fd, 3+p.cfg.PreserveFDs); err != nil {
		return step("close fds", err)
	}
	if filter != nil && p.spec.NoNewPrivileges {
		if err := filter.Load(); err != nil {
			return step("seccomp", err)
		}
	}

	// A parent that has already gone (huskrt create) does not need this.
	sock.send(message{Type: msgExec})
	err := unix.Exec(p.path, p.spec.Args, p.env)
	return &stepError{step: "exec", exit: execExit(err), err: fmt.Errorf("%q: %w", p.path, err)}
}

func umask(u specs.User) int {
	if u.Umask != nil {
		return int(*u.Umask)
	}
	return 0o022
}

// closeExtraFDs marks every fd from first on close-on-exec, so no host fd
// reaches the container process; fds below first are stdio and the fds
// the caller asked to preserve. keep stays open until execve closes it.
func closeExtraFDs(keep, first int) error {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < first || fd == keep {
			continue
		}
		unix.CloseOnExec(fd)
	}
	return nil
}

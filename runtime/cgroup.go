package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/cgroups"
)

// cgroupPath is the container's cgroupsPath: the spec's, or, when it has
// none, "husk-ROOT-ID" under the caller's own cgroup, where ROOT tells
// this state root from others, so two roots may both hold a container
// "web".
func (r *Runtime) cgroupPath(id string, spec *specs.Spec) string {
	if spec.Linux.CgroupsPath != "" {
		return spec.Linux.CgroupsPath
	}
	return r.cgroupName(id)
}

// cgroupName is the name of a container's cgroup when its spec has no
// cgroupsPath.
func (r *Runtime) cgroupName(id string) string {
	sum := sha256.Sum256([]byte(r.root))
	return "husk-" + hex.EncodeToString(sum[:4]) + "-" + id
}

// newCgroup resolves the container's cgroup and records its path in st.
// A relative path is resolved under the creator's own cgroups, which
// later callers (another huskrt, in another cgroup) cannot see: the
// creator's view is kept in the state for them (see cgroupOptions).
func (r *Runtime) newCgroup(st *State, spec *specs.Spec) (cgroups.Manager, error) {
	path := r.cgroupPath(st.ID, spec)
	if !strings.HasPrefix(path, "/") {
		v, err := cgroups.SelfView()
		if err != nil {
			return nil, fmt.Errorf("read own cgroup view: %w", err)
		}
		st.CgroupView = v
	}
	cg, err := cgroups.New(path, r.cgroupOptions(st, path)...)
	if err != nil {
		return nil, err
	}
	st.CgroupsPath = path
	return cg, nil
}

// completeCgroup creates the container's cgroup and applies its
// resources, but for the pids limit (see applyPidsLimit).
func completeCgroup(cg cgroups.Manager, spec *specs.Spec) error {
	if err := cg.Create(); err != nil {
		return err
	}
	res := withDefaultDevices(spec)
	res.Pids = nil
	return cg.Apply(res)
}

// applyPidsLimit writes the spec's pids limit once the init is inside its
// cgroup and set up. Written before, it would count what only starts the
// container: the Go init's cloning thread, which is in the cgroup during
// the clone, and its runtime threads, so a limit of a few pids refused the
// clone or crashed the init. The kernel lets a cgroup hold more tasks than
// a limit set later; the init's threads end with its execve.
func applyPidsLimit(cg cgroups.Manager, spec *specs.Spec) error {
	if spec.Linux.Resources == nil || spec.Linux.Resources.Pids == nil {
		return nil
	}
	return cg.Apply(&specs.LinuxResources{Pids: spec.Linux.Resources.Pids})
}

// cgroupOptions resolves a relative cgroups path against the creator's
// view kept in the state.
func (r *Runtime) cgroupOptions(st *State, path string) []cgroups.Option {
	if strings.HasPrefix(path, "/") || st.CgroupView == nil {
		return nil
	}
	return []cgroups.Option{cgroups.WithSelf(st.CgroupView)}
}

// withDefaultDevices returns the spec's resources with the devices every
// container may use (/dev/null, /dev/zero, ptys...) allowed after its own
// rules, as runc does. The nodes of linux.devices get only what the
// spec's rules give them: a caller that passes a device read-only (an
// engine's --device /dev/x:/dev/x:r) must find it read-only.
func withDefaultDevices(spec *specs.Spec) *specs.LinuxResources {
	var res specs.LinuxResources
	if spec.Linux.Resources != nil {
		res = *spec.Linux.Resources
	}
	rules := append([]specs.LinuxDeviceCgroup(nil), res.Devices...)
	res.Devices = append(rules, cgroups.DefaultDeviceRules...)
	return &res
}

// loadCgroup returns the cgroup of an existing container, or nil when it
// has none.
func (r *Runtime) loadCgroup(st *State) cgroups.Manager {
	if st.CgroupsPath == "" {
		return nil
	}
	cg, err := cgroups.New(st.CgroupsPath, r.cgroupOptions(st, st.CgroupsPath)...)
	if err != nil {
		return nil
	}
	return cg
}

// frozen reports whether the container's cgroup is frozen.
func (r *Runtime) frozen(st *State) bool {
	cg := r.loadCgroup(st)
	if cg == nil {
		return false
	}
	f, err := cg.Frozen()
	return err == nil && f
}

// destroyCgroup removes the container's cgroup once it is empty.
func (r *Runtime) destroyCgroup(st *State) error {
	if cg := r.loadCgroup(st); cg != nil {
		return cg.Destroy()
	}
	return nil
}

// signalAll sends sig to every process of the container.
func (r *Runtime) signalAll(st *State, sig int) error {
	cg := r.loadCgroup(st)
	if cg == nil {
		return nil
	}
	return cg.Kill(unix.Signal(sig))
}

// Pids returns the processes of the container, from its cgroup.
func (r *Runtime) Pids(id string) ([]int, error) {
	st, err := r.State(id)
	if err != nil {
		return nil, err
	}
	if st.Status == specs.StateStopped {
		return nil, nil
	}
	if cg := r.loadCgroup(st); cg != nil {
		return cg.Procs(true)
	}
	return pidsInNamespaceOf(st.Pid)
}

// Cgroup returns the manager of a container's cgroup, for pause, resume,
// update and stats.
func (r *Runtime) Cgroup(id string) (cgroups.Manager, *State, error) {
	st, err := r.State(id)
	if err != nil {
		return nil, nil, err
	}
	cg := r.loadCgroup(st)
	if cg == nil {
		return nil, nil, fmt.Errorf("container %q has no cgroup", id)
	}
	return cg, st, nil
}

// startInCgroup completes the container's cgroup and starts l's process
// inside it. A C init enters its v1 cgroups itself, as the first step of
// its program (see cgroups.Manager.CloneJoining); any other process is
// cloned by a thread that enters them first (see joinCgroup).
func startInCgroup(l launch, cg cgroups.Manager, spec *specs.Spec) (*initProcess, error) {
	joining, err := cloneJoining(&l, cg)
	if err != nil {
		return nil, err
	}
	if joining != nil {
		defer joining.Leave() // closes its fd when the clone never came
	}
	planned := planInit(l)

	err = completeCgroup(cg, spec)
	slog.Debug("cgroup ready", "path", cg.Path(), "initJoins", joining != nil)
	plan := <-planned
	if err == nil {
		err = plan.err
	}
	if err != nil {
		return nil, err
	}
	if joining != nil && plan.prog != nil {
		l.cloneInto = func() (*cgroups.Clone, error) { return joining, nil }
	} else {
		joinCgroup(&l, cg) // the Go init's, or a process joining namespaces
	}
	return startProcess(l, ready(plan))
}

// cloneJoining readies l's C init to enter cg's v1 directories itself and
// returns how it is cloned; nil when the Go init is to run l (see
// whyGoInit), which has several threads from its start, and a process
// enters a v1 cgroup by itself one thread at a time.
func cloneJoining(l *launch, cg cgroups.Manager) (*cgroups.Clone, error) {
	if whyGoInit(*l) != "" {
		return nil, nil
	}
	c, err := cg.CloneJoining()
	if err != nil {
		return nil, err
	}
	l.cfg.joinTasks = c.Tasks
	return c, nil
}

// ready returns a plan already made as planInit's result.
func ready(plan initPlan) <-chan initPlan {
	ch := make(chan initPlan, 1)
	ch <- plan
	return ch
}

// joinCgroup puts the launched process into cg: it is cloned inside
// (cgroups.Clone) unless it first joins namespaces by path, whose
// nsenter step has to run before; then its pid is added before it is
// given its config, so it runs nothing of the container outside.
func joinCgroup(l *launch, cg cgroups.Manager) {
	if cg == nil {
		return
	}
	if len(l.join) == 0 {
		l.cloneInto = cg.CloneInto
		return
	}
	l.beforeConfig = cg.Add
}

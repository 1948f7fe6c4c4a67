package runtime

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cgroupOf is the container's cgroup, or nil when it has none.
type cgroup interface {
	Add(pid int) error
	Destroy() error
}

// setupCgroup creates the container's cgroup and applies its resources.
func (r *Runtime) setupCgroup(id string, spec *specs.Spec) (cgroup, string, error) {
	return nil, "", nil
}

// frozen reports whether the container's cgroup is frozen.
func (r *Runtime) frozen(st *State) bool { return false }

// destroyCgroup removes the container's cgroup once it is empty.
func (r *Runtime) destroyCgroup(st *State) error { return nil }

// signalAll sends sig to every process of the container.
func (r *Runtime) signalAll(st *State, sig int) error { return nil }

// loadCgroup returns the cgroup of an existing container, or nil.
func (r *Runtime) loadCgroup(st *State) cgroup { return nil }

// Pids returns the processes of the container: those of its cgroup, or,
// without one, every process in its init's pid namespace.
func (r *Runtime) Pids(id string) ([]int, error) {
	st, err := r.State(id)
	if err != nil {
		return nil, err
	}
	if st.Status == specs.StateStopped {
		return nil, nil
	}
	return pidsInNamespaceOf(st.Pid)
}

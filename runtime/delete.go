package runtime

import (
	"errors"
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/cgroups"
)

// Delete removes a container: its cgroup and state, after the poststop
// hooks. A created container's init is killed first; a running or paused
// one is refused unless force, which kills every process of it.
func (r *Runtime) Delete(id string, force bool) error {
	unlock, err := r.lock(id)
	if err != nil {
		return err
	}
	defer unlock()

	st, err := r.State(id)
	if errors.Is(err, ErrNotExist) {
		return r.removeUnsaved(id)
	}
	if err != nil {
		return err
	}
	switch st.Status {
	case specs.StateRunning, StatePaused:
		if !force {
			return fmt.Errorf("container %q is %s: stop it first or delete with --force", id, st.Status)
		}
		fallthrough
	case specs.StateCreated, specs.StateCreating:
		if err := r.killAndWait(st); err != nil {
			return err
		}
	}
	return r.remove(st)
}

// removeUnsaved removes a state dir without a state, and the cgroup
// made for it: one whose creator was killed before it saved the state,
// which names the cgroup. A creator takes the dir's lock right after its
// mkdir and keeps it until the state is saved, so under the lock a dir
// older than a moment is nobody's. Its cgroup is looked for by the name a
// spec without a cgroupsPath gives it (one with a path of its own is
// not found).
func (r *Runtime) removeUnsaved(id string) error {
	fi, err := os.Stat(r.dir(id))
	if err != nil {
		return fmt.Errorf("container %q %w", id, ErrNotExist)
	}
	if time.Since(fi.ModTime()) < 50*time.Millisecond {
		return fmt.Errorf("container %q is being created", id)
	}
	if err := cgroups.DestroyNamed(r.cgroupName(id)); err != nil {
		return fmt.Errorf("remove cgroup of %q: %w", id, err)
	}
	if err := os.RemoveAll(r.dir(id)); err != nil {
		return fmt.Errorf("remove state of %q: %w", id, err)
	}
	return nil
}

// killAndWait kills every process of the container and waits until its
// init is gone.
func (r *Runtime) killAndWait(st *State) error {
	if err := r.signalAll(st, int(unix.SIGKILL)); err != nil {
		return err
	}
	if err := unix.Kill(st.Pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill container %q: %w", st.ID, err)
	}
	if !waitGone(st.Pid, st.StartTime, 10*time.Second) {
		return fmt.Errorf("container %q: init %d did not exit after SIGKILL", st.ID, st.Pid)
	}
	return nil
}

// remove runs the poststop hooks and removes the cgroup and the state.
// A failed hook is reported, but the container is removed all the same,
// as the runtime spec asks.
func (r *Runtime) remove(st *State) error {
	var hookErr error
	if h := r.hooks(st); h != nil {
		st.Status = specs.StateStopped
		hookErr = runHooks("poststop", h.Poststop, &st.State)
	}
	if err := r.destroyCgroup(st); err != nil {
		return err
	}
	if err := os.RemoveAll(r.dir(st.ID)); err != nil {
		return fmt.Errorf("remove state of %q: %w", st.ID, err)
	}
	return hookErr
}

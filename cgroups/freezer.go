package cgroups

import (
	"fmt"
	"time"
)

// freezeTimeout bounds how long Freeze and Thaw wait for the kernel to
// report the new state. Freezing waits for every task to reach a safe
// point; a task stuck in an uninterruptible sleep (a dead NFS server)
// can hold it up indefinitely.
const freezeTimeout = 5 * time.Second

// waitFor polls check with a growing pause until it reports done or the
// timeout passes.
func waitFor(timeout time.Duration, check func() (bool, error)) (bool, error) {
	deadline := time.Now().Add(timeout)
	delay := 100 * time.Microsecond
	for {
		done, err := check()
		if err != nil || done {
			return done, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(delay)
		delay = min(2*delay, 20*time.Millisecond)
	}
}

// v1: freezer.state takes FROZEN or THAWED and reads FREEZING while the
// kernel works on it. The write is repeated while polling: a task that
// forks during freezing can leave the cgroup FREEZING, and writing FROZEN
// again makes the kernel go over the new tasks too.

func (m *v1Manager) freezerDir() (string, error) {
	dir, ok := m.dirs["freezer"]
	if !ok {
		return "", fmt.Errorf("freeze: the freezer controller is not mounted on this %s host", m.layout)
	}
	return dir, nil
}

func (m *v1Manager) setFreezer(state string) error {
	dir, err := m.freezerDir()
	if err != nil {
		return err
	}
	ok, err := waitFor(freezeTimeout, func() (bool, error) {
		if err := writeFile(dir, "freezer.state", state); err != nil {
			return false, err
		}
		cur, err := readFile(dir, "freezer.state")
		return cur == state, err
	})
	if err != nil {
		return fmt.Errorf("set %q to %s: %w", dir, state, err)
	}
	if !ok {
		if state == "FROZEN" {
			// Leave it running rather than half frozen.
			_ = writeFile(dir, "freezer.state", "THAWED")
		}
		return fmt.Errorf("set %q to %s: still not there after %v", dir, state, freezeTimeout)
	}
	return nil
}

// Freeze implements Manager.
func (m *v1Manager) Freeze() error { return m.setFreezer("FROZEN") }

// Thaw implements Manager.
func (m *v1Manager) Thaw() error { return m.setFreezer("THAWED") }

// Frozen implements Manager: freezer.state shows FROZEN also when a
// parent is frozen.
func (m *v1Manager) Frozen() (bool, error) {
	dir, err := m.freezerDir()
	if err != nil {
		return false, err
	}
	s, err := readFile(dir, "freezer.state")
	if err != nil {
		return false, fmt.Errorf("read freezer state: %w", err)
	}
	return s == "FROZEN", nil
}

// v2: cgroup.freeze (Linux 5.2) takes 1 or 0; the "frozen" key of
// cgroup.events says when the whole subtree has got there.

func (m *v2Manager) setFreeze(on bool) error {
	v := boolDigit(on)
	if err := writeFile(m.dir, "cgroup.freeze", v); err != nil {
		return fmt.Errorf("freeze: %w", missingHint(err, "cgroup.freeze needs Linux 5.2"))
	}
	ok, err := waitFor(freezeTimeout, func() (bool, error) {
		f, err := m.Frozen()
		return f == on, err
	})
	if err != nil {
		return err
	}
	if !ok {
		if on {
			_ = writeFile(m.dir, "cgroup.freeze", "0")
		}
		return fmt.Errorf("write %s to %q/cgroup.freeze: cgroup.events not at frozen %s after %v",
			v, m.dir, v, freezeTimeout)
	}
	return nil
}

// Freeze implements Manager.
func (m *v2Manager) Freeze() error { return m.setFreeze(true) }

// Thaw implements Manager.
func (m *v2Manager) Thaw() error { return m.setFreeze(false) }

// Frozen implements Manager.
func (m *v2Manager) Frozen() (bool, error) {
	ev, err := readKeyValues(m.dir, "cgroup.events")
	if err != nil {
		return false, fmt.Errorf("read freezer state: %w", err)
	}
	return ev["frozen"] == 1, nil
}

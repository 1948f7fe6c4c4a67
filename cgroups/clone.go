package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// Clone is what CloneInto did to the calling thread. The caller clones
// the process with FD, when it is not -1, as clone3's CLONE_INTO_CGROUP
// target, then calls Leave, keeping the thread locked to its goroutine
// (runtime.LockOSThread) from CloneInto until Leave has returned.
//
// A v1 hierarchy has no CLONE_INTO_CGROUP: there the thread itself moves
// into the cgroup, by writing "0" to its "tasks" file, and the child
// inherits the thread's cgroups. A thread moving itself is the one move
// for which the kernel does not take its global threadgroup lock for
// writing; the first writer of that lock waits for an RCU grace period,
// which made writing the child's pid to cgroup.procs cost about 10 ms
// here. The child also never runs outside its limits.
type Clone struct {
	// FD is the cgroup's cgroup2 directory, or -1 (legacy hosts).
	FD int
	// Tasks, from CloneJoining, are the v1 "tasks" files the child
	// writes "0" to itself once Create has made them.
	Tasks []string
	home  map[string]string // directory in the thread's own cgroup -> the cgroup's
}

// Leave moves the thread back into its own cgroups and closes FD. When it
// fails the thread may still be inside the cgroup: the caller must not
// let it run anything else (leave it locked so Go ends it).
func (c *Clone) Leave() error {
	if c.FD >= 0 {
		unix.Close(c.FD)
		c.FD = -1
	}
	var errs []error
	for _, home := range slices.Sorted(maps.Keys(c.home)) {
		if err := enterTasks(home); err != nil {
			errs = append(errs, fmt.Errorf("return thread to cgroup %q: %w", home, err))
		}
	}
	return errors.Join(errs...)
}

// CloneInto implements Manager for v2: only the fd is needed.
func (m *v2Manager) CloneInto() (*Clone, error) {
	fd, err := openCgroupFD(m.dir)
	if err != nil {
		return nil, err
	}
	return &Clone{FD: fd}, nil
}

// CloneJoining implements Manager for v2: the cgroup is one directory,
// made now.
func (m *v2Manager) CloneJoining() (*Clone, error) {
	if err := m.Create(); err != nil {
		return nil, err
	}
	return m.CloneInto()
}

// CloneJoining implements Manager for v1 and hybrid hosts: the child is
// cloned into the cgroup2 directory, when the host has one, and enters
// the v1 directories by itself, as CloneInto's thread does.
func (m *v1Manager) CloneJoining() (*Clone, error) {
	c := &Clone{FD: -1}
	for _, dir := range slices.Compact(slices.Sorted(maps.Values(m.dirs))) {
		c.Tasks = append(c.Tasks, filepath.Join(dir, "tasks"))
	}
	if m.unified == "" {
		return c, nil
	}
	if _, err := mkdirTracked(m.unifiedMount, m.unified); err != nil {
		return nil, err
	}
	m.unifiedMade = true
	fd, err := openCgroupFD(m.unified)
	if err != nil {
		return nil, err
	}
	c.FD = fd
	return c, nil
}

// CloneInto implements Manager for v1 and hybrid hosts.
func (m *v1Manager) CloneInto() (*Clone, error) {
	homes, err := m.threadHomes()
	if err != nil {
		return nil, err
	}
	c := &Clone{FD: -1, home: homes}
	for _, home := range slices.Sorted(maps.Keys(homes)) {
		if err := enterTasks(homes[home]); err != nil {
			c.Leave()
			return nil, fmt.Errorf("move thread into cgroup %q: %w", homes[home], err)
		}
	}
	if m.unified != "" {
		if c.FD, err = openCgroupFD(m.unified); err != nil {
			c.Leave()
			return nil, err
		}
	}
	return c, nil
}

// threadHomes maps the calling thread's own directory in each v1
// hierarchy to the cgroup's directory there.
func (m *v1Manager) threadHomes() (map[string]string, error) {
	f, err := os.Open("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	self, err := parseProcCgroup(f)
	if err != nil {
		return nil, err
	}

	homes := map[string]string{}
	for c, dir := range m.dirs {
		rel, ok := below(self[c], m.roots[c])
		if !ok {
			return nil, fmt.Errorf("thread's %s cgroup %q is outside the mount at %q", c, self[c], m.mounts[c])
		}
		homes[filepath.Join(m.mounts[c], rel)] = dir
	}
	return homes, nil
}

// enterTasks moves the calling thread into the v1 cgroup at dir.
func enterTasks(dir string) error {
	return writeFile(dir, "tasks", "0")
}

package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// v1Manager manages a cgroup on legacy (v1) and hybrid hosts. Every
// controller is handled in its v1 hierarchy; on hybrid hosts the cgroup
// is also made in the cgroup2 hierarchy and processes are added there, so
// tools that read /proc/PID/cgroup's "0::" line see the container, but no
// limit is set there (its controllers, if any, belong to the host).
type v1Manager struct {
	layout       Layout
	path         string            // see Manager.Path
	dirs         map[string]string // controller -> the cgroup's directory in its hierarchy
	mounts       map[string]string // controller -> mount point of its hierarchy
	roots        map[string]string // controller -> the cgroup mounted at its mount point
	unified      string            // hybrid: the cgroup's directory in cgroup2
	unifiedMount string
	unifiedMade  bool // CloneJoining made unified already
}

func newV1(layout Layout, hs []hierarchy, self map[string]string, cgroupsPath string) (*v1Manager, error) {
	m := &v1Manager{layout: layout, dirs: map[string]string{}, mounts: map[string]string{},
		roots: map[string]string{}}
	paths := map[string]string{}
	for _, h := range hs {
		if h.v2 {
			_, m.unified = cgroupIn(h, self[""], cgroupsPath)
			m.unifiedMount = h.mountpoint
			continue
		}
		cg, dir := cgroupIn(h, self[h.controllers[0]], cgroupsPath)
		for _, c := range h.controllers {
			m.dirs[c], m.mounts[c], m.roots[c], paths[c] = dir, h.mountpoint, h.root, cg
		}
	}
	if len(m.dirs) == 0 {
		return nil, errors.New("cgroup v1: no controller hierarchies mounted")
	}
	for _, c := range append([]string{"memory", "pids", "cpu", "freezer"}, slices.Sorted(maps.Keys(paths))...) {
		if p, ok := paths[c]; ok {
			m.path = p
			break
		}
	}
	return m, nil
}

// Path implements Manager.
func (m *v1Manager) Path() string { return m.path }

// allDirs lists the cgroup's directories, one per hierarchy (co-mounted
// controllers share one), the cgroup2 one last.
func (m *v1Manager) allDirs() []string {
	dirs := slices.Compact(slices.Sorted(maps.Values(m.dirs)))
	if m.unified != "" {
		dirs = append(dirs, m.unified)
	}
	return dirs
}

// Create implements Manager.
func (m *v1Manager) Create() error {
	done := map[string]bool{}
	for _, c := range slices.Sorted(maps.Keys(m.dirs)) {
		dir := m.dirs[c]
		if done[dir] {
			continue
		}
		done[dir] = true
		created, err := mkdirTracked(m.mounts[c], dir)
		if err != nil {
			return err
		}
		if m.dirs["cpuset"] == dir {
			if err := initCpuset(created); err != nil {
				return err
			}
		}
	}
	if m.unified != "" && !m.unifiedMade {
		if _, err := mkdirTracked(m.unifiedMount, m.unified); err != nil {
			return err
		}
	}
	return nil
}

// step is one controller's part of Apply.
type step struct {
	ctrl   string // controller that must be there; "" for none
	field  string // config.json field under linux.resources, for errors
	wanted bool   // whether r asks anything of this controller
	set    func(dir string) error
}

// v1Steps lists Apply's writes in runc's subsystem order: cpuset first
// (a v1 cpuset cgroup without CPUs takes no tasks), then devices, then
// the limits.
func v1Steps(r *specs.LinuxResources) []step {
	net := r.Network
	if net == nil {
		net = &specs.LinuxNetwork{}
	}
	return []step{
		{"cpuset", "cpu", cpusetWanted(r.CPU), func(d string) error { return setCpuset(d, r.CPU) }},
		{"devices", "devices", len(r.Devices) > 0, func(d string) error { return setDevicesV1(d, r.Devices) }},
		{"memory", "memory", memoryWanted(r.Memory) || r.Memory != nil && r.Memory.KernelTCP != nil,
			func(d string) error { return setMemoryV1(d, r.Memory) }},
		{"cpu", "cpu", cpuWanted(r.CPU), func(d string) error { return setCPUV1(d, r.CPU) }},
		{"pids", "pids", pidsWanted(r.Pids), func(d string) error { return setPids(d, r.Pids) }},
		{"blkio", "blockIO", blkioWanted(r.BlockIO), func(d string) error { return setBlkioV1(d, r.BlockIO) }},
		{"hugetlb", "hugepageLimits", len(r.HugepageLimits) > 0, func(d string) error {
			return setHugetlb(d, r.HugepageLimits, "limit_in_bytes", "rsvd.limit_in_bytes")
		}},
		{"net_cls", "network.classID", net.ClassID != nil, func(d string) error {
			return setNetCls(d, *net.ClassID)
		}},
		{"net_prio", "network.priorities", len(net.Priorities) > 0, func(d string) error {
			return setNetPrio(d, net.Priorities)
		}},
		{"rdma", "rdma", len(r.Rdma) > 0, func(d string) error { return setRdma(d, r.Rdma) }},
	}
}

// Apply implements Manager.
func (m *v1Manager) Apply(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if len(r.Unified) > 0 {
		k := slices.Sorted(maps.Keys(r.Unified))[0]
		return fieldError(fmt.Sprintf("unified[%q]", k),
			fmt.Errorf("the unified map needs cgroup v2; this host's cgroups are %s", m.layout))
	}
	for _, s := range v1Steps(r) {
		if !s.wanted {
			continue
		}
		dir, ok := m.dirs[s.ctrl]
		if !ok {
			return fieldError(s.field, fmt.Errorf("the %s controller is not mounted on this %s host",
				s.ctrl, m.layout))
		}
		if err := s.set(dir); err != nil {
			return err
		}
	}
	return nil
}

// Add implements Manager: the pid is written to every hierarchy.
func (m *v1Manager) Add(pid int) error {
	for _, d := range m.allDirs() {
		if err := writeFile(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("add pid %d: %w", pid, err)
		}
	}
	return nil
}

// CgroupFD implements Manager; CLONE_INTO_CGROUP only reaches cgroup2.
func (m *v1Manager) CgroupFD() (int, error) {
	return -1, fmt.Errorf("open cgroup fd: CLONE_INTO_CGROUP needs cgroup v2; this host's cgroups are %s",
		m.layout)
}

// Procs implements Manager: the union over every hierarchy, since a
// process may have been moved in one of them only.
func (m *v1Manager) Procs(recursive bool) ([]int, error) {
	var all []int
	for _, d := range m.allDirs() {
		pids, err := readProcs(d, recursive)
		if err != nil {
			return nil, err
		}
		all = append(all, pids...)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// Destroy implements Manager.
func (m *v1Manager) Destroy() error {
	m.unifiedMade = false
	var errs []error
	for _, d := range m.allDirs() {
		errs = append(errs, removeTree(d))
	}
	return errors.Join(errs...)
}

// OOMKills implements Manager.
func (m *v1Manager) OOMKills() (uint64, error) {
	dir, ok := m.dirs["memory"]
	if !ok {
		return 0, fmt.Errorf("read OOM kills: the memory controller is not mounted on this %s host", m.layout)
	}
	return oomKillsV1(dir)
}

// Stats implements Manager.
func (m *v1Manager) Stats() (*Stats, error) {
	st := &Stats{}
	readers := []struct {
		ctrl string
		read func(dir string, st *Stats) error
	}{
		{"cpuacct", cpuacctStats}, {"cpu", cpuStatsV1}, {"memory", memoryStatsV1},
		{"pids", pidsStats}, {"blkio", blkioStats},
	}
	for _, r := range readers {
		if dir, ok := m.dirs[r.ctrl]; ok {
			if err := r.read(dir, st); err != nil {
				return nil, fmt.Errorf("read %s stats: %w", r.ctrl, err)
			}
		}
	}
	return st, nil
}

package cgroups

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// v2Manager manages a cgroup in the one cgroup2 hierarchy of a unified
// host.
type v2Manager struct {
	path  string // as /proc/PID/cgroup shows it
	dir   string
	mount string
	made  bool // Create has run (CloneJoining runs it first)
}

func newV2(hs []hierarchy, self map[string]string, cgroupsPath string) (*v2Manager, error) {
	for _, h := range hs {
		if h.v2 {
			p, dir := cgroupIn(h, self[""], cgroupsPath)
			return &v2Manager{path: p, dir: dir, mount: h.mountpoint}, nil
		}
	}
	return nil, errors.New("cgroup v2: no cgroup2 hierarchy mounted")
}

// Path implements Manager.
func (m *v2Manager) Path() string { return m.path }

// Create implements Manager. For each directory it makes, it enables in
// the parent every controller the parent has (cgroup.controllers), all in
// one write and, if the kernel refuses that, one by one: a controller can
// be refused (EBUSY when the parent has processes of its own and is not
// the root, the "no internal processes" rule), and then Apply names the
// field that needs it. Only the parents of new directories are written,
// so the one existing cgroup that may change is the nearest existing
// ancestor, and only to pass on what it was itself given; cgroups further
// up keep the delegation the host chose.
func (m *v2Manager) Create() error {
	if m.made {
		return nil
	}
	created, err := mkdirTracked(m.mount, m.dir)
	if err != nil {
		return err
	}
	for _, d := range created {
		if err := enableControllers(filepath.Dir(d)); err != nil {
			return err
		}
	}
	m.made = true
	return nil
}

func enableControllers(parent string) error {
	avail, err := readFile(parent, "cgroup.controllers")
	if err != nil {
		return fmt.Errorf("enable controllers: %w", err)
	}
	on, err := readFile(parent, "cgroup.subtree_control")
	if err != nil {
		return fmt.Errorf("enable controllers: %w", err)
	}
	var want []string
	for _, c := range strings.Fields(avail) {
		if !slices.Contains(strings.Fields(on), c) {
			want = append(want, "+"+c)
		}
	}
	if len(want) == 0 {
		return nil
	}
	if writeFile(parent, "cgroup.subtree_control", strings.Join(want, " ")) == nil {
		return nil
	}
	for _, c := range want {
		if err := writeFile(parent, "cgroup.subtree_control", c); err != nil {
			slog.Warn("cgroup controller not enabled", "path", parent, "controller", c[1:], "err", err)
		}
	}
	return nil
}

// v2Steps lists Apply's writes. The unified map comes last so that its
// raw values override the converted ones, as in runc.
func v2Steps(r *specs.LinuxResources) []step {
	return []step{
		{"cpuset", "cpu", cpusetWanted(r.CPU), func(d string) error { return setCpuset(d, r.CPU) }},
		{"memory", "memory", memoryWanted(r.Memory), func(d string) error { return setMemoryV2(d, r.Memory) }},
		{"cpu", "cpu", cpuWanted(r.CPU), func(d string) error { return setCPUV2(d, r.CPU) }},
		{"pids", "pids", pidsWanted(r.Pids), func(d string) error { return setPids(d, r.Pids) }},
		{"io", "blockIO", blkioWanted(r.BlockIO), func(d string) error { return setIO(d, r.BlockIO) }},
		{"hugetlb", "hugepageLimits", len(r.HugepageLimits) > 0, func(d string) error {
			return setHugetlb(d, r.HugepageLimits, "max", "rsvd.max")
		}},
		{"rdma", "rdma", len(r.Rdma) > 0, func(d string) error { return setRdma(d, r.Rdma) }},
		{"", "devices", len(r.Devices) > 0, func(d string) error { return setDevicesV2(d, r.Devices) }},
		{"", "unified", len(r.Unified) > 0, func(d string) error { return setUnified(d, r.Unified) }},
	}
}

// Apply implements Manager.
func (m *v2Manager) Apply(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if r.Network != nil && (r.Network.ClassID != nil || len(r.Network.Priorities) > 0) {
		return fieldError("network", errors.New("net_cls and net_prio exist on cgroup v1 only;"+
			" on cgroup v2 match the cgroup path in nftables or tc instead"))
	}
	var ctrls []string
	for _, s := range v2Steps(r) {
		if !s.wanted {
			continue
		}
		if s.ctrl != "" {
			if ctrls == nil {
				c, err := readFile(m.dir, "cgroup.controllers")
				if err != nil {
					return fmt.Errorf("apply resources: %w", err)
				}
				ctrls = strings.Fields(c)
			}
			if !slices.Contains(ctrls, s.ctrl) {
				return fieldError(s.field, fmt.Errorf("the %s controller is not enabled for %q"+
					" (see the parent's cgroup.subtree_control)", s.ctrl, m.dir))
			}
		}
		if err := s.set(m.dir); err != nil {
			return err
		}
	}
	return nil
}

// Add implements Manager.
func (m *v2Manager) Add(pid int) error {
	if err := writeFile(m.dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("add pid %d: %w", pid, err)
	}
	return nil
}

// CgroupFD implements Manager.
func (m *v2Manager) CgroupFD() (int, error) { return openCgroupFD(m.dir) }

// Procs implements Manager.
func (m *v2Manager) Procs(recursive bool) ([]int, error) {
	return readProcs(m.dir, recursive)
}

// Destroy implements Manager.
func (m *v2Manager) Destroy() error {
	m.made = false
	return removeTree(m.dir)
}

// OOMKills implements Manager: memory.events counts the subtree's kills
// (unless the host mounts cgroup2 with memory_localevents).
func (m *v2Manager) OOMKills() (uint64, error) {
	ev, err := readKeyValues(m.dir, "memory.events")
	if err != nil {
		return 0, fmt.Errorf("read OOM kills: %w", missingHint(err, "memory controller not enabled"))
	}
	return ev["oom_kill"], nil
}

// Stats implements Manager.
func (m *v2Manager) Stats() (*Stats, error) {
	st := &Stats{}
	for _, read := range []func(string, *Stats) error{cpuStatsV2, memoryStatsV2, pidsStats, ioStats} {
		if err := read(m.dir, st); err != nil {
			return nil, fmt.Errorf("read stats of %q: %w", m.dir, err)
		}
	}
	return st, nil
}

package cgroups

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func u64(v uint64) *uint64 { return &v }
func u32(v uint32) *uint32 { return &v }
func u16(v uint16) *uint16 { return &v }
func bp(v bool) *bool      { return &v }

// fullResources sets every field both versions accept.
func fullResources() *specs.LinuxResources {
	return &specs.LinuxResources{
		Memory: &specs.LinuxMemory{
			Limit: i64(256 << 20), Reservation: i64(128 << 20), Swap: i64(512 << 20), Kernel: i64(1 << 20),
		},
		CPU: &specs.LinuxCPU{
			Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Burst: u64(1000),
			Cpus: "0-1", Mems: "0", Idle: i64(0),
		},
		Pids: &specs.LinuxPids{Limit: i64(100)},
		BlockIO: &specs.LinuxBlockIO{
			Weight: u16(500),
			WeightDevice: []specs.LinuxWeightDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(300)},
			},
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1 << 20},
			},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 0},
			},
		},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Rdma:           map[string]specs.LinuxRdma{"mlx4_0": {HcaHandles: u32(2), HcaObjects: u32(2000)}},
	}
}

func TestApplyV1Fake(t *testing.T) {
	root := fakeV1(t, allV1, true, "c")
	m, err := New("/c", WithMountRoot(root), WithProcRoot(fakeProc(t, "0::/\n")))
	if err != nil {
		t.Fatal(err)
	}
	r := fullResources()
	r.Memory.KernelTCP = i64(64 << 20)
	r.Memory.Swappiness = u64(10)
	r.Memory.DisableOOMKiller = bp(true)
	r.Memory.UseHierarchy = bp(true)
	r.CPU.RealtimePeriod = u64(1000000)
	r.CPU.RealtimeRuntime = i64(950000)
	r.BlockIO.LeafWeight = u16(400)
	r.Network = &specs.LinuxNetwork{
		ClassID:    u32(0x100001),
		Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}},
	}
	r.Devices = []specs.LinuxDeviceCgroup{rule(true, "c", i64(1), i64(3), "rwm")}
	if err := m.Apply(r); err != nil {
		t.Fatal(err)
	}
	dir := func(h string) string { return filepath.Join(root, h, "c") }
	checkFiles(t, dir("memory"), map[string]string{
		"memory.limit_in_bytes":          "268435456",
		"memory.memsw.limit_in_bytes":    "536870912", // v1 takes the memory+swap total as it is
		"memory.soft_limit_in_bytes":     "134217728",
		"memory.kmem.tcp.limit_in_bytes": "67108864",
		"memory.swappiness":              "10",
		"memory.oom_control":             "1",
		"memory.use_hierarchy":           "1",
	})
	checkFiles(t, dir("cpu"), map[string]string{
		"cpu.shares": "1024", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000",
		"cpu.cfs_burst_us": "1000", "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "950000", "cpu.idle": "0",
	})
	checkFiles(t, dir("cpuset"), map[string]string{"cpuset.cpus": "0-1", "cpuset.mems": "0"})
	checkFiles(t, dir("pids"), map[string]string{"pids.max": "100"})
	checkFiles(t, dir("blkio"), map[string]string{
		"blkio.weight": "500", "blkio.leaf_weight": "400", "blkio.weight_device": "8:0 300",
		"blkio.throttle.read_bps_device": "8:0 1048576", "blkio.throttle.write_iops_device": "8:16 0",
	})
	checkFiles(t, dir("hugetlb"), map[string]string{
		"hugetlb.2MB.limit_in_bytes": "4194304", "hugetlb.2MB.rsvd.limit_in_bytes": "4194304",
	})
	checkFiles(t, dir("net_cls,net_prio"), map[string]string{
		"net_cls.classid": "1048577", "net_prio.ifpriomap": "eth0 5",
	})
	checkFiles(t, dir("rdma"), map[string]string{"rdma.max": "mlx4_0 hca_handle=2 hca_object=2000"})
	// The deny-all comes first; the file keeps the last write.
	checkFiles(t, dir("devices"), map[string]string{"devices.deny": "a", "devices.allow": "c 1:3 rwm"})
	// Kernel memory is ignored: there is no file for it in the fake, and
	// Apply did not fail.

	// Unlimited memory with no swap given: memory+swap goes unlimited too,
	// swap first.
	r = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}}
	if err := m.Apply(r); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir("memory"), map[string]string{"memory.limit_in_bytes": "-1", "memory.memsw.limit_in_bytes": "-1"})
}

func TestApplyV2Fake(t *testing.T) {
	root := fakeV2(t, "c")
	m, err := New("/c", WithMountRoot(root), WithProcRoot(fakeProc(t, "0::/\n")))
	if err != nil {
		t.Fatal(err)
	}
	r := fullResources()
	r.Memory.KernelTCP = i64(64 << 20) // ignored on v2, like runc
	r.Memory.UseHierarchy = bp(true)
	r.Memory.DisableOOMKiller = bp(false)
	if err := m.Apply(r); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "c")
	checkFiles(t, dir, map[string]string{
		"memory.max":      "268435456",
		"memory.swap.max": "268435456", // 512M memory+swap - 256M memory
		"memory.low":      "134217728",
		"cpu.weight":      "100", // shares 1024: the v1 default becomes the v2 default
		"cpu.max":         "50000 100000",
		"cpu.max.burst":   "1000",
		"cpu.idle":        "0",
		"cpuset.cpus":     "0-1", "cpuset.mems": "0",
		"pids.max":             "100",
		"io.weight":            "8:0 2930", // the per-device weight, written last
		"io.max":               "8:16 wiops=max",
		"hugetlb.2MB.max":      "4194304",
		"hugetlb.2MB.rsvd.max": "4194304",
		"rdma.max":             "mlx4_0 hca_handle=2 hca_object=2000",
	})

	// Quota alone keeps the period; period alone keeps the quota; memory
	// equal to memory+swap turns swap off; unified overrides.
	writeFiles(t, dir, map[string]string{"cpu.max": "max 250000"})
	r = &specs.LinuxResources{
		CPU:     &specs.LinuxCPU{Quota: i64(20000)},
		Memory:  &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(64 << 20)},
		Unified: map[string]string{"memory.high": "50000000", "pids.max": "7"},
		Pids:    &specs.LinuxPids{Limit: i64(-1)},
	}
	if err := m.Apply(r); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, map[string]string{
		"cpu.max": "20000 250000", "memory.max": "67108864", "memory.swap.max": "0", "pids.max": "7",
		"memory.high": "50000000",
	})
	if err := m.Apply(&specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(50000)}}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, map[string]string{"cpu.max": "20000 50000"})
	err = m.Apply(&specs.LinuxResources{Unified: map[string]string{"memory.zswap.max": "1"}})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unified key without its file = %v, want ENOENT", err)
	}
	err = m.Apply(&specs.LinuxResources{Unified: map[string]string{"misc.max": "1"}})
	if err == nil || !strings.Contains(err.Error(), "the misc controller is not enabled") {
		t.Errorf("unified key of a missing controller = %v", err)
	}

	// BFQ: weights go to io.bfq.weight unconverted.
	writeFiles(t, dir, map[string]string{"io.bfq.weight": "100"})
	if err := m.Apply(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(700)}}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, map[string]string{"io.bfq.weight": "700"})
}

func TestApplyErrors(t *testing.T) {
	proc := fakeProc(t, "0::/\n")
	v2root := fakeV2(t, "c")
	v2, err := New("/c", WithMountRoot(v2root), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	// A v1 host with only the memory controller.
	v1root := fakeV1(t, []string{"memory", "blkio"}, true, "c")
	v1, err := New("/c", WithMountRoot(v1root), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(v1root, "memory/c"), map[string]string{"memory.usage_in_bytes": "1000000"})
	tests := []struct {
		name string
		m    Manager
		r    *specs.LinuxResources
		want string // in the error
	}{
		{"unified on v1", v1, &specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}},
			`linux.resources.unified["memory.high"]: the unified map needs cgroup v2; this host's cgroups are hybrid`},
		{"controller not mounted", v1, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(5)}},
			"linux.resources.pids: the pids controller is not mounted on this hybrid host"},
		{"swappiness range", v1, &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(101)}},
			"linux.resources.memory.swappiness: 101 is out of range"},
		{"check before update", v1, &specs.LinuxResources{Memory: &specs.LinuxMemory{
			Limit: i64(1000), CheckBeforeUpdate: bp(true)}},
			"linux.resources.memory.limit: new limit 1000 is below the current usage 1000000"},
		{"leaf weight without CFQ", v1, &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(10)}},
			""}, // the fake has blkio.weight: fine
		{"network on v2", v2, &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(1)}},
			"linux.resources.network: net_cls and net_prio exist on cgroup v1 only"},
		{"swappiness on v2", v2, &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(10)}},
			"linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness"},
		{"OOM killer on v2", v2, &specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: bp(true)}},
			"linux.resources.memory.disableOOMKiller"},
		{"realtime on v2", v2, &specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(1000)}},
			"linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime"},
		{"leaf weight on v2", v2, &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: u16(10)}},
			"linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights"},
		{"swap below memory", v2, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(50)}},
			"linux.resources.memory.swap: memory+swap 50 is less than the memory limit 100"},
		{"bad unified key", v2, &specs.LinuxResources{Unified: map[string]string{"../x": "1"}},
			`linux.resources.unified["../x"]: not a cgroup file name`},
		{"bad page size", v2, &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2M"}}},
			`linux.resources.hugepageLimits[0]: page size "2M"`},
		{"unsupported page size", v2, &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "16GB"}}},
			`linux.resources.hugepageLimits[0]: page size "16GB" is not supported`},
		{"device rule", v2, &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{rule(true, "x", nil, nil, "")}},
			`linux.resources.devices[0]: type "x"`},
	}
	for _, tt := range tests {
		err := tt.m.Apply(tt.r)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Apply = %v\nwant an error containing %q", tt.name, err, tt.want)
		}
	}

	// A controller the parent did not delegate.
	writeFiles(t, filepath.Join(v2root, "c"), map[string]string{"cgroup.controllers": "memory"})
	err = v2.Apply(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(5)}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.pids: the pids controller is not enabled") {
		t.Errorf("Apply pids without the controller = %v", err)
	}

	// A weight without a weight file names the file and keeps ENOENT.
	v1blk := fakeV1(t, []string{"blkio"}, false, "c")
	m, err := New("/c", WithMountRoot(v1blk), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	mustRemove(t, filepath.Join(v1blk, "blkio/c/blkio.weight"))
	err = m.Apply(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(10)}})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `"10" to "`+v1blk+`/blkio/c/blkio.weight"`) {
		t.Errorf("Apply weight without blkio.weight = %v", err)
	}
}

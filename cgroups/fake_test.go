package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fake cgroupfs trees. A fake cgroup directory holds the files the
// kernel would show, with plausible content; writes replace a file's
// content (O_TRUNC), so a file written several times keeps the last
// value, and a missing file fails with ENOENT just as a missing knob does.

var v1Files = map[string]map[string]string{
	"cpu": {
		"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1",
		"cpu.cfs_burst_us": "0", "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0", "cpu.idle": "0",
		"cpu.stat": "nr_periods 5\nnr_throttled 2\nthrottled_time 3000\n",
	},
	"cpuacct": {"cpuacct.usage": "123456", "cpuacct.usage_user": "100000", "cpuacct.usage_sys": "23456"},
	"cpuset":  {"cpuset.cpus": "", "cpuset.mems": ""},
	"memory": {
		"memory.limit_in_bytes": "9223372036854771712", "memory.memsw.limit_in_bytes": "9223372036854771712",
		"memory.soft_limit_in_bytes": "9223372036854771712", "memory.kmem.tcp.limit_in_bytes": "9223372036854771712",
		"memory.swappiness": "60", "memory.use_hierarchy": "1", "memory.usage_in_bytes": "1048576",
		"memory.max_usage_in_bytes": "2097152", "memory.stat": "cache 4096\nrss 1\ntotal_cache 8192\n",
		"memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
	},
	"devices": {"devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm"},
	"freezer": {"freezer.state": "THAWED"},
	"blkio": {
		"blkio.weight": "500", "blkio.weight_device": "", "blkio.leaf_weight": "500", "blkio.leaf_weight_device": "",
		"blkio.throttle.read_bps_device": "", "blkio.throttle.write_bps_device": "",
		"blkio.throttle.read_iops_device": "", "blkio.throttle.write_iops_device": "",
		"blkio.throttle.io_service_bytes_recursive": "8:0 Read 10\n8:0 Write 20\n8:0 Total 30\nTotal 30\n",
	},
	"pids":     {"pids.max": "max", "pids.current": "3"},
	"hugetlb":  {"hugetlb.2MB.limit_in_bytes": "0", "hugetlb.2MB.rsvd.limit_in_bytes": "0", "hugetlb.1GB.limit_in_bytes": "0"},
	"net_cls":  {"net_cls.classid": "0"},
	"net_prio": {"net_prio.ifpriomap": ""},
	"rdma":     {"rdma.max": ""},
}

var v2Files = map[string]string{
	"cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma", "cgroup.subtree_control": "",
	"cgroup.procs": "", "cgroup.freeze": "0", "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.kill": "",
	"cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0",
	"cpu.stat":    "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 7\nnr_throttled 1\nthrottled_usec 2\n",
	"cpuset.cpus": "", "cpuset.mems": "",
	"memory.max": "max", "memory.high": "max", "memory.swap.max": "max", "memory.low": "0", "memory.current": "4096",
	"memory.peak": "8192", "memory.stat": "anon 1\nfile 2048\n",
	"memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
	"pids.max":      "max", "pids.current": "2",
	"io.weight": "default 100", "io.max": "", "io.stat": "8:0 rbytes=5 wbytes=6 rios=1 wios=1 dbytes=0 dios=0\n",
	"hugetlb.2MB.max": "max", "hugetlb.2MB.rsvd.max": "max", "rdma.max": "",
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeV1 makes a tree with one hierarchy per name (co-mounted ones as
// "net_cls,net_prio") and, with hybrid, a cgroup2 hierarchy at unified.
// For each cgroup given, relative to the hierarchy roots, it makes the
// directory with every file of the hierarchy's controllers.
func fakeV1(t *testing.T, hierarchies []string, hybrid bool, cgroups ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, h := range hierarchies {
		for _, cg := range append([]string{""}, cgroups...) {
			files := map[string]string{"cgroup.procs": ""}
			for _, c := range strings.Split(h, ",") {
				for k, v := range v1Files[c] {
					files[k] = v
				}
			}
			writeFiles(t, filepath.Join(root, h, cg), files)
		}
	}
	if hybrid {
		for _, cg := range append([]string{""}, cgroups...) {
			writeFiles(t, filepath.Join(root, "unified", cg),
				map[string]string{"cgroup.controllers": "", "cgroup.procs": "", "cgroup.subtree_control": ""})
		}
	}
	return root
}

// allV1 is every v1 hierarchy the fake knows, net_cls and net_prio
// co-mounted as systemd does.
var allV1 = []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
	"hugetlb", "net_cls,net_prio", "rdma"}

// fakeV2 makes a cgroup2 tree with the given cgroups (relative to root).
func fakeV2(t *testing.T, cgroups ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, cg := range append([]string{""}, cgroups...) {
		writeFiles(t, filepath.Join(root, cg), v2Files)
	}
	return root
}

// fakeProc makes a proc root whose self/cgroup is content; it has no
// mountinfo, so the tree is read by its names.
func fakeProc(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "self"), map[string]string{"cgroup": content})
	return dir
}

func readFake(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkFiles compares the files under dir with want.
func checkFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	for name, v := range want {
		if got := readFake(t, filepath.Join(dir, name)); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
}

func TestDetectFake(t *testing.T) {
	proc := fakeProc(t, "0::/\n")
	tests := []struct {
		name string
		root string
		want Layout
	}{
		{"unified", fakeV2(t), Unified},
		{"hybrid", fakeV1(t, allV1, true), Hybrid},
		{"legacy", fakeV1(t, []string{"memory", "pids"}, false), Legacy},
	}
	for _, tt := range tests {
		got, err := Detect(WithMountRoot(tt.root), WithProcRoot(proc))
		if err != nil || got != tt.want {
			t.Errorf("%s: Detect = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := Detect(WithMountRoot(t.TempDir()), WithProcRoot(proc)); err == nil {
		t.Error("Detect on an empty dir: no error")
	}
}

func TestNewFakePaths(t *testing.T) {
	root := fakeV1(t, []string{"cpu", "memory", "net_cls,net_prio"}, true)
	proc := fakeProc(t, "4:memory:/parent/me\n3:net_cls,net_prio:/\n2:cpu:/\n0::/u\n")
	m, err := New("c1", WithMountRoot(root), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	v1 := m.(*v1Manager)
	want := map[string]string{
		"memory":   filepath.Join(root, "memory/parent/me/c1"),
		"cpu":      filepath.Join(root, "cpu/c1"),
		"net_cls":  filepath.Join(root, "net_cls,net_prio/c1"),
		"net_prio": filepath.Join(root, "net_cls,net_prio/c1"),
	}
	for c, d := range want {
		if v1.dirs[c] != d {
			t.Errorf("dir of %s = %q, want %q", c, v1.dirs[c], d)
		}
	}
	if v1.unified != filepath.Join(root, "unified/u/c1") {
		t.Errorf("unified dir = %q", v1.unified)
	}
	if m.Path() != "/parent/me/c1" {
		t.Errorf("Path() = %q, want the memory hierarchy's /parent/me/c1", m.Path())
	}

	m, err = New("/husk/c1", WithMountRoot(root), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	if d := m.(*v1Manager).dirs["memory"]; d != filepath.Join(root, "memory/husk/c1") {
		t.Errorf("absolute path: memory dir = %q", d)
	}

	v2root := fakeV2(t)
	m, err = New("c2", WithMountRoot(v2root), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	if v2 := m.(*v2Manager); v2.dir != filepath.Join(v2root, "u/c2") || m.Path() != "/u/c2" {
		t.Errorf("v2 dir, path = %q, %q", v2.dir, m.Path())
	}
	for _, bad := range []string{"", "../x", "system.slice:husk:x"} {
		if _, err := New(bad, WithMountRoot(v2root), WithProcRoot(proc)); err == nil {
			t.Errorf("New(%q): no error", bad)
		}
	}
}

func TestCreateFake(t *testing.T) {
	// v2: the existing parent "a" gets its controllers enabled, the root
	// above it is left alone.
	root := fakeV2(t, "a")
	writeFiles(t, filepath.Join(root, "a"), map[string]string{"cgroup.controllers": "cpu memory pids"})
	m, err := New("/a/b", WithMountRoot(root), WithProcRoot(fakeProc(t, "0::/\n")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, root, map[string]string{"cgroup.subtree_control": ""})
	checkFiles(t, filepath.Join(root, "a"), map[string]string{"cgroup.subtree_control": "+cpu +memory +pids"})
	if fi, err := os.Stat(filepath.Join(root, "a/b")); err != nil || !fi.IsDir() {
		t.Errorf("a/b not created: %v", err)
	}

	// v1 cpuset: new directories get their parent's CPUs and nodes.
	v1root := fakeV1(t, []string{"cpuset"}, false, "p", "p/q")
	writeFiles(t, filepath.Join(v1root, "cpuset"), map[string]string{"cpuset.cpus": "0-3", "cpuset.mems": "0"})
	writeFiles(t, filepath.Join(v1root, "cpuset/p"), map[string]string{"cpuset.cpus": "1-2", "cpuset.mems": "0"})
	if err := initCpuset([]string{filepath.Join(v1root, "cpuset/p/q")}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, filepath.Join(v1root, "cpuset/p/q"), map[string]string{"cpuset.cpus": "1-2", "cpuset.mems": "0"})
}

func TestRemoveTreeFake(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"c/x/y", "c/z"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeTree(filepath.Join(root, "c")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "c")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("c still there: %v", err)
	}
	if err := removeTree(filepath.Join(root, "missing")); err != nil {
		t.Errorf("removeTree of a missing dir: %v", err)
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestStatsFake(t *testing.T) {
	proc := fakeProc(t, "0::/\n")
	v1root := fakeV1(t, allV1, true, "c")
	m, err := New("/c", WithMountRoot(v1root), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		CPU: CPUStats{UsageNS: 123456, UserNS: 100000, SystemNS: 23456, Periods: 5, ThrottledPeriods: 2,
			ThrottledNS: 3000},
		Memory:   MemoryStats{Usage: 1048576, MaxUsage: 2097152, Limit: 0, Cache: 8192},
		Pids:     PidsStats{Current: 3},
		BlockIO:  BlockIOStats{ReadBytes: 10, WriteBytes: 20},
		OOMKills: 2,
	}
	if *st != want {
		t.Errorf("v1 Stats =\n %+v\nwant\n %+v", *st, want)
	}
	if n, err := m.OOMKills(); n != 2 || err != nil {
		t.Errorf("v1 OOMKills = %d, %v", n, err)
	}

	v2root := fakeV2(t, "c")
	m, err = New("/c", WithMountRoot(v2root), WithProcRoot(proc))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(v2root, "c"), map[string]string{"pids.max": "64", "memory.max": "1048576"})
	st, err = m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want = Stats{
		CPU:      CPUStats{UsageNS: 10000, UserNS: 6000, SystemNS: 4000, Periods: 7, ThrottledPeriods: 1, ThrottledNS: 2000},
		Memory:   MemoryStats{Usage: 4096, MaxUsage: 8192, Limit: 1048576, Cache: 2048},
		Pids:     PidsStats{Current: 2, Limit: 64},
		BlockIO:  BlockIOStats{ReadBytes: 5, WriteBytes: 6},
		OOMKills: 1,
	}
	if *st != want {
		t.Errorf("v2 Stats =\n %+v\nwant\n %+v", *st, want)
	}
	// Without memory, pids and io (a cgroup2 with no controllers), only
	// the CPU part is there.
	for _, f := range []string{"memory.current", "pids.current", "io.stat"} {
		mustRemove(t, filepath.Join(v2root, "c", f))
	}
	if st, err = m.Stats(); err != nil || st.Memory.Usage != 0 || st.CPU.UsageNS != 10000 {
		t.Errorf("v2 Stats without controllers = %+v, %v", st, err)
	}
}

func TestProcsAddFake(t *testing.T) {
	root := fakeV1(t, []string{"memory", "pids"}, true, "c", "c/sub")
	m, err := New("/c", WithMountRoot(root), WithProcRoot(fakeProc(t, "0::/\n")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add(42); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"memory", "pids", "unified"} {
		checkFiles(t, filepath.Join(root, h, "c"), map[string]string{"cgroup.procs": "42"})
	}
	writeFiles(t, filepath.Join(root, "pids/c"), map[string]string{"cgroup.procs": "42\n7\n"})
	writeFiles(t, filepath.Join(root, "memory/c/sub"), map[string]string{"cgroup.procs": "99\n"})
	if got, err := m.Procs(false); err != nil || fmt.Sprint(got) != "[7 42]" {
		t.Errorf("Procs(false) = %v, %v", got, err)
	}
	if got, err := m.Procs(true); err != nil || fmt.Sprint(got) != "[7 42 99]" {
		t.Errorf("Procs(true) = %v, %v", got, err)
	}
	if _, err := m.CgroupFD(); err == nil || !strings.Contains(err.Error(), "needs cgroup v2") {
		t.Errorf("CgroupFD on hybrid = %v", err)
	}
	if err := m.Freeze(); err == nil {
		t.Error("Freeze without a freezer hierarchy: no error")
	}
}

// TestWithSelf resolves a relative path against a view given as data, as
// a later caller in another cgroup does with the creator's view.
func TestWithSelf(t *testing.T) {
	root := fakeV1(t, []string{"cpu", "memory"}, true)
	self := &View{Cgroup: "4:memory:/creator\n2:cpu:/\n0::/u\n"}
	m, err := New("c1", WithMountRoot(root), WithSelf(self))
	if err != nil {
		t.Fatal(err)
	}
	if d := m.(*v1Manager).dirs["memory"]; d != filepath.Join(root, "memory/creator/c1") {
		t.Errorf("memory dir = %q, want it under the view's /creator", d)
	}
	if m.Path() != "/creator/c1" {
		t.Errorf("Path() = %q, want /creator/c1", m.Path())
	}
}

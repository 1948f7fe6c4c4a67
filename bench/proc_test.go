package bench

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseStat(t *testing.T) {
	// A command name may hold spaces and parentheses.
	st, err := parseStat("4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 100 0 0 0")
	if err != nil {
		t.Fatal(err)
	}
	if st.pid != 4242 || st.comm != "my (odd) name" || st.state != 'S' || st.ppid != 17 {
		t.Errorf("parseStat = %+v", st)
	}
	for _, bad := range []string{"", "12 no-parens S 1", "x (a) S 1", "12 (a)", "12 (a) S x"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	meminfo := []byte("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   12345678 kB\n")
	if v, err := parseMeminfo(meminfo, "MemAvailable"); err != nil || v != 12345678 {
		t.Errorf("MemAvailable = %v, %v", v, err)
	}
	rollup := []byte("55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  900 kB\nPss:  345 kB\nPss_Anon:  300 kB\n")
	if v, err := parseMeminfo(rollup, "Pss"); err != nil || v != 345 {
		t.Errorf("Pss = %v, %v (Pss_Anon must not match)", v, err)
	}
	if _, err := parseMeminfo(meminfo, "Pss"); err == nil {
		t.Error("a missing field was found")
	}
}

func TestDescendants(t *testing.T) {
	ps := []procStat{
		{pid: 1, ppid: 0}, {pid: 10, ppid: 1}, {pid: 11, ppid: 10}, {pid: 12, ppid: 11},
		{pid: 20, ppid: 1}, {pid: 21, ppid: 20}, {pid: 30, ppid: 1},
	}
	got := descendants(ps, 10, 20)
	slices.Sort(got)
	if !slices.Equal(got, []int{10, 11, 12, 20, 21}) {
		t.Errorf("descendants(10, 20) = %v", got)
	}
	// A root listed twice, or inside another's tree, counts once.
	if got := descendants(ps, 10, 11); len(got) != 3 {
		t.Errorf("descendants(10, 11) = %v, want 3 processes", got)
	}
}

func TestOwnPSS(t *testing.T) {
	kib, n, err := treePSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 || kib <= 0 {
		t.Errorf("this test's own PSS: %d KiB over %d processes", kib, n)
	}
}

func TestDiskUsageCountsHardLinksOnce(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(i) | 1 // no holes
	}
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, data, 0o644); err != nil {
		t.Fatal(err)
	}
	one, err := diskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Link(a, filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	two, err := diskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if one < int64(len(data)) || two != one {
		t.Errorf("usage %d with one name, %d with two; want >= %d and equal", one, two, len(data))
	}
}

func TestFindImage(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, BusyboxLayout)
	os.MkdirAll(layout, 0o755)
	os.WriteFile(filepath.Join(layout, "index.json"), []byte("{}"), 0o644)
	for _, arg := range []string{dir, layout} {
		got, err := FindImage(arg)
		if err != nil || got != layout {
			t.Errorf("FindImage(%q) = %q, %v; want %q", arg, got, err, layout)
		}
	}
	if _, err := FindImage(t.TempDir()); err == nil {
		t.Error("FindImage found an image in an empty dir")
	}
}

func TestMissingPackages(t *testing.T) {
	got := missingPackages(Tools{Unshare: "/usr/bin/unshare"}, true)
	if !slices.Equal(got, []string{"crun", "qemu-system-x86", "runc"}) {
		t.Errorf("missing with nothing but unshare: %v", got)
	}
	if got := missingPackages(Tools{Unshare: "u", Runc: "r", Crun: "c"}, false); len(got) != 0 {
		t.Errorf("missing without the VM: %v, want none", got)
	}
}

func TestRefusalNamesHybridHosts(t *testing.T) {
	err := errorString("crun --root /tmp/x run --bundle /tmp/b id: exit status 1: cgroups in hybrid mode not supported, drop all controllers from cgroupv2")
	got := refusal(NameCrun, err)
	want := "crun refuses hybrid cgroup hosts (cgroups in hybrid mode not supported, drop all controllers from cgroupv2)"
	if got != want {
		t.Errorf("refusal = %q, want %q", got, want)
	}
	if got := refusal(NameRunc, errorString("boom")); got != "boom" {
		t.Errorf("refusal of another error = %q", got)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestCgroupMounts(t *testing.T) {
	const mountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`
	ms := parseCgroupMounts(mountinfo)
	if len(ms) != 4 {
		t.Fatalf("%d cgroup mounts, want 4: %+v", len(ms), ms)
	}
	find := func(ctrls string) string {
		for _, m := range ms {
			if m.matches(ctrls) {
				return m.point
			}
		}
		return ""
	}
	for ctrls, want := range map[string]string{
		"cpu,cpuacct": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
		"memory": "/sys/fs/cgroup/memory", "name=systemd": "/sys/fs/cgroup/systemd",
		"": "/sys/fs/cgroup/unified", "pids": "",
	} {
		if got := find(ctrls); got != want {
			t.Errorf("hierarchy of %q: %q, want %q", ctrls, got, want)
		}
	}
}

func TestBenchCgroupsByTag(t *testing.T) {
	got := benchCgroups([]string{
		"/sys/fs/cgroup/pids/husk-bench-ab12cd34-runc-3",
		"/sys/fs/cgroup/pids/husk-husk-bench-ab12cd34-huskrt-4",
		"/sys/fs/cgroup/pids/husk-bench-ffffffff-runc-3",
		"/sys/fs/cgroup/pids/husk-0123456789abcdef",
	}, "ab12cd34")
	if len(got) != 2 {
		t.Errorf("cgroups of tag ab12cd34: %v, want the first two", got)
	}
}

package cgroups

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	const in = `22 1 0:21 / /proc rw,nosuid - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory,clone_children
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 22 0:40 / /mnt/with\040space rw - cgroup2 cgroup2 rw
`
	got, err := parseMountinfo(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []mountEntry{
		{"/", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", []string{"rw", "cpu", "cpuacct"}},
		{"/docker/abc", "/sys/fs/cgroup/memory", "cgroup", []string{"rw", "memory", "clone_children"}},
		{"/", "/sys/fs/cgroup/systemd", "cgroup", []string{"rw", "xattr", "name=systemd"}},
		{"/", "/sys/fs/cgroup/unified", "cgroup2", []string{"rw", "nsdelegate"}},
		{"/", "/mnt/with space", "cgroup2", []string{"rw"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMountinfo:\n got %+v\nwant %+v", got, want)
	}
	if _, err := parseMountinfo(strings.NewReader("1 2 3\n")); err == nil {
		t.Error("parseMountinfo of a line without \" - \": no error")
	}

	hs := hierarchiesUnder(got, "/sys/fs/cgroup")
	wantH := []hierarchy{
		{mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", controllers: []string{"cpu", "cpuacct"}},
		{mountpoint: "/sys/fs/cgroup/memory", root: "/docker/abc", controllers: []string{"memory"}},
		{mountpoint: "/sys/fs/cgroup/unified", root: "/", v2: true},
	}
	if !reflect.DeepEqual(hs, wantH) {
		t.Errorf("hierarchiesUnder:\n got %+v\nwant %+v", hs, wantH)
	}
}

func TestLayoutOf(t *testing.T) {
	v1 := hierarchy{mountpoint: "/r/memory", controllers: []string{"memory"}}
	tests := []struct {
		name string
		hs   []hierarchy
		want Layout
		err  bool
	}{
		{"unified", []hierarchy{{mountpoint: "/r", v2: true}}, Unified, false},
		{"hybrid", []hierarchy{v1, {mountpoint: "/r/unified", v2: true}}, Hybrid, false},
		{"legacy", []hierarchy{v1}, Legacy, false},
		{"cgroup2 below the root only", []hierarchy{{mountpoint: "/r/unified", v2: true}}, Unified, false},
		{"nothing", nil, 0, true},
	}
	for _, tt := range tests {
		got, err := layoutOf(tt.hs, "/r")
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%s: layoutOf = %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	if s := Hybrid.String(); s != "hybrid" {
		t.Errorf("Hybrid.String() = %q", s)
	}
}

func TestParseProcCgroup(t *testing.T) {
	const in = "9:name=systemd:/\n4:memory:/process_api/x\n2:cpu,cpuacct:/a\n0::/user.slice\n"
	got, err := parseProcCgroup(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name=systemd": "/", "memory": "/process_api/x", "cpu": "/a", "cpuacct": "/a", "": "/user.slice",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseProcCgroup = %v, want %v", got, want)
	}
	for _, bad := range []string{"garbage\n", "1:cpu:relative\n"} {
		if _, err := parseProcCgroup(strings.NewReader(bad)); err == nil {
			t.Errorf("parseProcCgroup(%q): no error", bad)
		}
	}
}

func TestValidatePath(t *testing.T) {
	for _, p := range []string{"x", "a/b", "/husk/abc", "./x"} {
		if err := validatePath(p); err != nil {
			t.Errorf("validatePath(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "..", "a/../b", "/a/..", "system.slice:husk:abc", ":husk:abc", "/", "."} {
		err := validatePath(p)
		if err == nil {
			t.Errorf("validatePath(%q): no error", p)
		} else if !strings.Contains(err.Error(), "cgroupsPath") {
			t.Errorf("validatePath(%q) = %v, want the error to name cgroupsPath", p, err)
		}
	}
}

func TestCgroupIn(t *testing.T) {
	plain := hierarchy{mountpoint: "/sys/fs/cgroup/memory", root: "/"}
	mounted := hierarchy{mountpoint: "/sys/fs/cgroup/memory", root: "/docker/abc"}
	tests := []struct {
		h                hierarchy
		self, cgroupPath string
		wantPath, dir    string
	}{
		{plain, "/user/1", "/husk/c1", "/husk/c1", "/sys/fs/cgroup/memory/husk/c1"},
		{plain, "/user/1", "c1", "/user/1/c1", "/sys/fs/cgroup/memory/user/1/c1"},
		{plain, "", "c1", "/c1", "/sys/fs/cgroup/memory/c1"},
		{mounted, "/docker/abc", "c1", "/docker/abc/c1", "/sys/fs/cgroup/memory/c1"},
		{mounted, "/docker/abc/sub", "c1", "/docker/abc/sub/c1", "/sys/fs/cgroup/memory/sub/c1"},
		{mounted, "/elsewhere", "c1", "/docker/abc/c1", "/sys/fs/cgroup/memory/c1"},
		{mounted, "/docker/abc", "/c1", "/docker/abc/c1", "/sys/fs/cgroup/memory/c1"},
	}
	for _, tt := range tests {
		p, dir := cgroupIn(tt.h, tt.self, tt.cgroupPath)
		if p != tt.wantPath || dir != tt.dir {
			t.Errorf("cgroupIn(root %q, self %q, %q) = %q, %q; want %q, %q",
				tt.h.root, tt.self, tt.cgroupPath, p, dir, tt.wantPath, tt.dir)
		}
	}
}

func TestParseKeyValues(t *testing.T) {
	const memStat = "cache 4096\nrss 8192\ntotal_cache 12288\nhierarchical_memory_limit 9223372036854771712\n"
	got, err := parseKeyValues(memStat)
	if err != nil {
		t.Fatal(err)
	}
	if got["total_cache"] != 12288 || got["rss"] != 8192 || got["hierarchical_memory_limit"] != 9223372036854771712 {
		t.Errorf("parseKeyValues(memory.stat) = %v", got)
	}
	got, err = parseKeyValues("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
	if err != nil || got["oom_kill"] != 3 {
		t.Errorf("parseKeyValues(oom_control) = %v, %v", got, err)
	}
	if _, err := parseKeyValues("lonely\n"); err == nil {
		t.Error("parseKeyValues of a line without value: no error")
	}
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  bool
	}{
		{"42\n", 42, false}, {"max", math.MaxUint64, false}, {"-1", math.MaxUint64, false},
		{"x", 0, true}, {"", 0, true},
	}
	for _, tt := range tests {
		got, err := parseUint(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseUint(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestParseIOStat(t *testing.T) {
	const in = "8:0 rbytes=1000 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n" +
		"253:1 rbytes=24 wbytes=8 rios=1 wios=1 dbytes=0 dios=0\n"
	r, w, err := parseIOStat(in)
	if err != nil || r != 1024 || w != 208 {
		t.Errorf("parseIOStat = %d, %d, %v; want 1024, 208", r, w, err)
	}
	if _, _, err := parseIOStat("8:0 rbytes=x\n"); err == nil {
		t.Error("parseIOStat of a bad number: no error")
	}
	if r, w, err := parseIOStat(""); r != 0 || w != 0 || err != nil {
		t.Errorf("parseIOStat(\"\") = %d, %d, %v", r, w, err)
	}
}

func TestParseBlkioBytes(t *testing.T) {
	const in = "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 4608\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4608\n" +
		"8:16 Read 4\n8:16 Write 0\nTotal 4612\n"
	r, w, err := parseBlkioBytes(in)
	if err != nil || r != 4100 || w != 512 {
		t.Errorf("parseBlkioBytes = %d, %d, %v; want 4100, 512", r, w, err)
	}
	if r, w, err := parseBlkioBytes("Total 0\n"); r != 0 || w != 0 || err != nil {
		t.Errorf("parseBlkioBytes(empty) = %d, %d, %v", r, w, err)
	}
}

func TestParseProcs(t *testing.T) {
	got, err := parseProcs("12\n7\n\n")
	if err != nil || !reflect.DeepEqual(got, []int{12, 7}) {
		t.Errorf("parseProcs = %v, %v", got, err)
	}
	if _, err := parseProcs("12x\n"); err == nil {
		t.Error("parseProcs of a bad pid: no error")
	}
}

func TestCPUMax(t *testing.T) {
	tests := []struct {
		quota  int64
		period uint64
		cur    string
		want   string
		err    bool
	}{
		{50000, 100000, "", "50000 100000", false},
		{-1, 100000, "", "max 100000", false},
		{50000, 0, "max 100000\n", "50000 100000", false},
		{0, 20000, "30000 100000", "30000 20000", false},
		{-1, 0, "30000 100000", "max 100000", false},
		{50000, 0, "garbage", "", true},
		{0, 0, "", "", false},
	}
	for _, tt := range tests {
		got, err := cpuMax(tt.quota, tt.period, tt.cur)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("cpuMax(%d, %d, %q) = %q, %v; want %q", tt.quota, tt.period, tt.cur, got, err, tt.want)
		}
	}
}

func TestSharesToWeight(t *testing.T) {
	// The points of opencontainers/cgroups' own table: both ends, just
	// inside and outside them, and the defaults meeting.
	tests := []struct{ shares, weight uint64 }{
		{0, 0}, {1, 1}, {2, 1}, {3, 2}, {1024, 100}, {262143, 10000}, {262144, 10000}, {262145, 10000},
	}
	for _, tt := range tests {
		if got := SharesToWeight(tt.shares); got != tt.weight {
			t.Errorf("SharesToWeight(%d) = %d, want %d", tt.shares, got, tt.weight)
		}
	}
}

func TestBlkioToIOWeight(t *testing.T) {
	tests := []struct {
		blkio uint16
		io    uint64
	}{{0, 0}, {10, 1}, {500, 4950}, {1000, 10000}, {5, 1}}
	for _, tt := range tests {
		if got := BlkioToIOWeight(tt.blkio); got != tt.io {
			t.Errorf("BlkioToIOWeight(%d) = %d, want %d", tt.blkio, got, tt.io)
		}
	}
}

func TestSwapV2(t *testing.T) {
	tests := []struct {
		swap, limit, want int64
		err               bool
	}{
		{0, 0, 0, false},
		{0, -1, -1, false},     // unlimited memory: unlimited swap too
		{-1, 100, -1, false},   // unlimited swap
		{300, 100, 200, false}, // memory+swap 300 = 100 + 200 swap
		{100, 100, 0, false},   // no swap
		{50, 100, 0, true},     // total below the memory limit
		{300, 0, 0, true},      // swap without a memory limit
		{300, -1, 0, true},     // swap with unlimited memory
		{0, 100, 0, false},     // swap not given
	}
	for _, tt := range tests {
		got, err := swapV2(tt.swap, tt.limit)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("swapV2(%d, %d) = %d, %v; want %d, error %v", tt.swap, tt.limit, got, err, tt.want, tt.err)
		}
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`: "/a b", `/plain`: "/plain", `/t\011x\134`: "/t\tx\\", `/short\04`: `/short\04`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

package cgroups

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// These tests drive the v2 manager on the host's cgroup2 hierarchy: all
// of it on a unified host, the unified mount of a hybrid one. There it
// can test what cgroup2 does without controllers: placement, CLONE_INTO_
// CGROUP, the freezer, cgroup.kill and the eBPF device filter. Limits
// need controllers and are covered by the fake-tree tests (and a v2-only
// guest).

// v2Host returns the cgroup2 mount root and the name of a new, empty
// husk-test-* cgroup made under the test's own cgroup2 cgroup with a
// plain mkdir, so that Create of a cgroup below it never writes to a
// cgroup.subtree_control the tests do not own.
func v2Host(t *testing.T) (root, parent string) {
	t.Helper()
	requireRoot(t)
	root = "/sys/fs/cgroup"
	if l, err := Detect(); err != nil || l != Unified {
		root = "/sys/fs/cgroup/unified"
		if l, err := Detect(WithMountRoot(root)); err != nil || l != Unified {
			t.Skipf("needs a cgroup2 hierarchy at /sys/fs/cgroup or %s (%v)", root, err)
		}
	}
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	self, err := parseProcCgroup(f)
	if err != nil {
		t.Fatal(err)
	}
	parent = testName()
	dir := filepath.Join(root, self[""], parent)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := removeTree(dir); err != nil {
			t.Error(err)
		}
	})
	return root, parent
}

func TestHostV2CloneIntoCgroupFreezeKill(t *testing.T) {
	root, parent := v2Host(t)
	m := hostCgroup(t, parent+"/c", WithMountRoot(root))
	fd, err := m.CgroupFD()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	p := startCmd(t, nil, &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd},
		"/bin/sh", "-c", "read x; while :; do :; done")
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid()) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "0::"+m.Path()+"\n") {
		t.Errorf("child cgroups %q do not have 0::%s", b, m.Path())
	}
	if got, err := m.Procs(false); err != nil || !slices.Equal(got, []int{p.pid()}) {
		t.Errorf("Procs = %v, %v; want [%d]", got, err, p.pid())
	}
	p.release(t)
	time.Sleep(100 * time.Millisecond)

	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); !f || err != nil {
		t.Errorf("Frozen after Freeze = %v, %v", f, err)
	}
	u0 := cpuUsage(t, m)
	time.Sleep(300 * time.Millisecond)
	if d := cpuUsage(t, m) - u0; d > 5*time.Millisecond {
		t.Errorf("frozen busy loop used %v of CPU in 300ms", d)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	u0 = cpuUsage(t, m)
	time.Sleep(300 * time.Millisecond)
	if d := cpuUsage(t, m) - u0; d < 50*time.Millisecond {
		t.Errorf("thawed busy loop used only %v of CPU in 300ms", d)
	}

	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Procs(true); err != nil || len(got) != 0 {
		t.Errorf("Procs after Kill = %v, %v", got, err)
	}
	if err := p.wait(t); err == nil {
		t.Error("the busy loop exited cleanly after SIGKILL")
	}
}

func TestHostV2NestedKillDestroy(t *testing.T) {
	root, parent := v2Host(t)
	m := hostCgroup(t, parent+"/c", WithMountRoot(root))
	sub, err := New(parent+"/c/sub/deeper", WithMountRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Create(); err != nil {
		t.Fatal(err)
	}
	a := start(t, m, "/bin/sleep", "60")
	b := start(t, sub, "/bin/sh", "-c", "read x; while :; do /bin/sleep 60 & /bin/sleep 0.01; done")
	b.release(t)
	time.Sleep(50 * time.Millisecond)
	if got, err := m.Procs(false); err != nil || !slices.Equal(got, []int{a.pid()}) {
		t.Errorf("Procs(false) = %v, %v; want [%d]", got, err, a.pid())
	}
	if got, err := m.Procs(true); err != nil || len(got) < 3 {
		t.Errorf("Procs(true) = %v, %v; want the sleep, the shell and its children", got, err)
	}
	// SIGTERM goes to each process; sleep and sh die of it.
	if err := m.Kill(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := a.wait(t); err == nil {
		t.Error("sleep survived SIGTERM")
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	destroyChecked(t, m) // removes sub/deeper and sub first
}

func TestHostV2Devices(t *testing.T) {
	root, parent := v2Host(t)
	tests := []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  string // /dev/null for writing, /dev/null for reading, /dev/zero for reading
	}{
		{"allow all but writing c 1:3",
			[]specs.LinuxDeviceCgroup{rule(true, "a", nil, nil, "rwm"), rule(false, "c", i64(1), i64(3), "w")},
			"EPERM ok ok"},
		{"deny all but c 1:3",
			[]specs.LinuxDeviceCgroup{rule(false, "", nil, nil, ""), rule(true, "c", i64(1), i64(3), "rwm")},
			"ok ok EPERM"},
		{"read-only /dev/null and /dev/zero",
			[]specs.LinuxDeviceCgroup{rule(false, "a", nil, nil, ""), rule(true, "c", i64(1), nil, "r")},
			"EPERM ok ok"},
		{"defaults", append([]specs.LinuxDeviceCgroup{rule(false, "a", nil, nil, "")}, DefaultDeviceRules...),
			"ok ok ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := hostCgroup(t, parent+"/"+testName(), WithMountRoot(root))
			// Applied twice: the second program replaces the first.
			for range 2 {
				if err := m.Apply(&specs.LinuxResources{Devices: tt.rules}); err != nil {
					t.Fatal(err)
				}
			}
			dirFD, err := unix.Open(m.(*v2Manager).dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(dirFD)
			if ids, err := attachedDevicePrograms(dirFD); err != nil || len(ids) != 1 {
				t.Errorf("attached device programs %v, %v; want exactly one", ids, err)
			}
			p := start(t, m, "@open")
			p.release(t)
			if got := p.output(t); got != tt.want {
				t.Errorf("opens gave %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHostV2ControllerNotEnabled(t *testing.T) {
	root, parent := v2Host(t)
	m := hostCgroup(t, parent+"/c", WithMountRoot(root))
	ctrls, err := readFile(m.(*v2Manager).dir, "cgroup.controllers")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ctrls, "pids") {
		t.Skip("the pids controller is delegated here; the test needs a cgroup without it")
	}
	err = m.Apply(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(5)}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.pids: the pids controller is not enabled") {
		t.Errorf("Apply pids = %v", err)
	}
	if _, err := m.OOMKills(); err == nil {
		t.Error("OOMKills without the memory controller: no error")
	}
}

package cgroups

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// These tests use the host's v1 hierarchies (hybrid or legacy), under the
// test process's own cgroups.

func TestHostV1AddProcsDestroy(t *testing.T) {
	requireV1Host(t)
	m := hostCgroup(t, testName())
	if _, ok := m.(*v1Manager); !ok {
		t.Fatalf("New on a v1 host gave %T", m)
	}
	a := start(t, m, "/bin/sleep", "60")
	b := start(t, m, "/bin/sleep", "60")
	got, err := m.Procs(false)
	want := []int{a.pid(), b.pid()}
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Procs = %v, %v; want %v", got, err, want)
	}
	// Every hierarchy has them, the cgroup2 one of a hybrid host too.
	for _, d := range m.(*v1Manager).allDirs() {
		if pids, err := readProcs(d, false); err != nil || !slices.Equal(pids, want) {
			t.Errorf("%s: procs %v, %v; want %v", d, pids, err, want)
		}
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Current != 2 || st.Memory.Limit != 0 {
		t.Errorf("Stats = %+v; want 2 pids, no memory limit", st)
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Procs(true); err != nil || len(got) != 0 {
		t.Errorf("Procs after Kill = %v, %v", got, err)
	}
	destroyChecked(t, m)
}

func TestHostV1MemoryLimitOOM(t *testing.T) {
	requireV1Host(t)
	m := hostCgroup(t, testName())
	const limit = 64 << 20
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(limit)}}
	if exists(m.(*v1Manager).dirs["memory"], "memory.memsw.limit_in_bytes") {
		r.Memory.Swap = i64(limit) // no swapping out of the limit either
	}
	if err := m.Apply(r); err != nil {
		t.Fatal(err)
	}
	p := start(t, m, "@alloc:512")
	p.release(t)
	err := p.wait(t)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != unix.SIGKILL {
		t.Fatalf("allocating 512 MiB under a 64 MiB limit: %v, stdout %q; want SIGKILL", err, p.stdout.String())
	}
	n, err := m.OOMKills()
	if err != nil || n == 0 {
		t.Errorf("OOMKills = %d, %v; want > 0", n, err)
	}
	st, err := m.Stats()
	if err != nil || st.Memory.Limit != limit || st.OOMKills != n || st.Memory.MaxUsage < limit/2 {
		t.Errorf("Stats = %+v, %v; want limit %d, %d OOM kills, a peak near the limit", st, err, limit, n)
	}
}

func TestHostV1PidsLimit(t *testing.T) {
	requireV1Host(t)
	m := hostCgroup(t, testName())
	const limit = 8
	if err := m.Apply(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(limit)}}); err != nil {
		t.Fatal(err)
	}
	p := start(t, m, "/bin/sh", "-c", `read x; i=0; while [ $i -lt 40 ]; do /bin/sleep 60 >/dev/null 2>&1 & i=$((i+1)); done`)
	p.release(t)
	_ = p.wait(t)
	if !strings.Contains(p.stderr.String(), "fork") {
		t.Errorf("shell stderr %q does not mention a failed fork", p.stderr.String())
	}
	procs, err := m.Procs(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d sleeps started; the shell said %q", len(procs), strings.SplitN(p.stderr.String(), "\n", 2)[0])
	if len(procs) == 0 || len(procs) >= limit {
		t.Errorf("%d sleeps started under pids.max %d; want some, fewer than the limit", len(procs), limit)
	}
	st, err := m.Stats()
	if err != nil || st.Pids.Limit != limit || st.Pids.Current > limit {
		t.Errorf("Stats.Pids = %+v, %v", st.Pids, err)
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

func TestHostV1CPUQuota(t *testing.T) {
	requireV1Host(t)
	m := hostCgroup(t, testName())
	r := &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Shares: u64(512)}}
	if err := m.Apply(r); err != nil {
		t.Fatal(err)
	}
	spin(t, m)
	time.Sleep(200 * time.Millisecond)
	u0, t0 := cpuUsage(t, m), time.Now()
	time.Sleep(time.Second)
	ratio := float64(cpuUsage(t, m)-u0) / float64(time.Since(t0))
	t.Logf("a busy loop under quota 0.5 used %.2f CPUs", ratio)
	if ratio < 0.3 || ratio > 0.7 {
		t.Errorf("busy loop used %.2f CPUs under a 0.5 quota", ratio)
	}
	st, err := m.Stats()
	if err != nil || st.CPU.ThrottledPeriods == 0 {
		t.Errorf("Stats.CPU = %+v, %v; want throttled periods", st.CPU, err)
	}
}

func TestHostV1FreezeThaw(t *testing.T) {
	requireV1Host(t)
	m := hostCgroup(t, testName())
	spin(t, m)
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
	if f, err := m.Frozen(); f || err != nil {
		t.Errorf("Frozen after Thaw = %v, %v", f, err)
	}
	u0 = cpuUsage(t, m)
	time.Sleep(300 * time.Millisecond)
	if d := cpuUsage(t, m) - u0; d < 50*time.Millisecond {
		t.Errorf("thawed busy loop used only %v of CPU in 300ms", d)
	}

	// A paused cgroup stays paused through SIGTERM (pending until thawed)
	// and is emptied by SIGKILL.
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); !f || err != nil {
		t.Errorf("Frozen after Kill(SIGTERM) of a paused cgroup = %v, %v", f, err)
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Procs(true); err != nil || len(got) != 0 {
		t.Errorf("Procs after Kill(SIGKILL) of a paused cgroup = %v, %v", got, err)
	}
}

func TestHostV1Devices(t *testing.T) {
	requireV1Host(t)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := hostCgroup(t, testName())
			if err := m.Apply(&specs.LinuxResources{Devices: tt.rules}); err != nil {
				t.Fatal(err)
			}
			p := start(t, m, "@open")
			p.release(t)
			if got := p.output(t); got != tt.want {
				t.Errorf("opens gave %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHostV1KillForking(t *testing.T) {
	requireV1Host(t)
	m := hostCgroup(t, testName())
	// A shell that keeps forking: the freeze around each round of signals
	// keeps new children from slipping through.
	p := start(t, m, "/bin/sh", "-c", "read x; while :; do /bin/sleep 60 & done")
	p.release(t)
	time.Sleep(100 * time.Millisecond)
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Procs(true); err != nil || len(got) != 0 {
		t.Errorf("Procs after Kill = %v, %v", got, err)
	}
	if err := p.wait(t); err == nil {
		t.Error("the shell exited cleanly after SIGKILL")
	}
}

func TestHostV1ApplyErrors(t *testing.T) {
	requireV1Host(t)
	m := hostCgroup(t, testName())
	err := m.Apply(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}})
	if err == nil || !strings.Contains(err.Error(), `unified["memory.high"]`) {
		t.Errorf("Apply of the unified map on v1 = %v", err)
	}
	// A limit below the usage of a process that holds 16 MiB.
	p := start(t, m, "@hold:16")
	p.release(t)
	if l := p.line(t); l != "survived 16" {
		t.Fatalf("child said %q", l)
	}
	err = m.Apply(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1), CheckBeforeUpdate: bp(true)}})
	if err == nil || !strings.Contains(err.Error(), "below the current usage") {
		t.Errorf("checkBeforeUpdate = %v", err)
	}
}

// TestHostV1CloneJoining starts a child the way the C init enters its
// cgroup: cloned into the cgroup2 directory (hybrid hosts) before the v1
// directories exist, then writing "0" to each of Tasks itself.
func TestHostV1CloneJoining(t *testing.T) {
	requireV1Host(t)
	m, err := New(testName())
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.CloneJoining()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Leave()
	t.Cleanup(func() { destroyChecked(t, m) })
	v1 := m.(*v1Manager)
	if (c.FD >= 0) != (v1.unified != "") {
		t.Fatalf("FD %d with cgroup2 directory %q", c.FD, v1.unified)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}

	attr := &syscall.SysProcAttr{UseCgroupFD: c.FD >= 0, CgroupFD: c.FD}
	script := `for f in "$@"; do echo 0 > "$f" || exit 1; done; echo joined; read x`
	p := startCmd(t, nil, attr, append([]string{"/bin/sh", "-c", script, "sh"}, c.Tasks...)...)
	if got := p.line(t); got != "joined" {
		t.Fatalf("child said %q, stderr %q", got, p.stderr.String())
	}
	for _, d := range v1.allDirs() {
		if pids, err := readProcs(d, false); err != nil || !slices.Equal(pids, []int{p.pid()}) {
			t.Errorf("%s: procs %v, %v; want [%d]", d, pids, err, p.pid())
		}
	}
}

// TestHostV1Find finds a cgroup by its name in every hierarchy, and
// DestroyNamed removes it there.
func TestHostV1Find(t *testing.T) {
	requireV1Host(t)
	name := testName()
	m := hostCgroup(t, name)
	dirs, err := Find(func(n string) bool { return n == name })
	want := m.(*v1Manager).allDirs()
	slices.Sort(dirs)
	slices.Sort(want)
	if err != nil || !slices.Equal(dirs, want) {
		t.Fatalf("Find = %v, %v; want %v", dirs, err, want)
	}
	if err := DestroyNamed(name); err != nil {
		t.Fatal(err)
	}
	if dirs, _ := Find(func(n string) bool { return n == name }); len(dirs) != 0 {
		t.Fatalf("after DestroyNamed: %v", dirs)
	}
}

package tests

import (
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The cgroup end-to-end tests run huskrt with linux.resources and check,
// from inside the container and through huskrt's own reports, that the
// kernel enforces them. They run on whatever layout the host has: on this
// project's hybrid machines through the v1 controllers, and under `make
// vmtest` in a qemu guest with cgroup v2 alone (see vm/ and
// cmd/husk-vmtest). Helpers are in cgroups_e2e_helpers_test.go.

// TestCgroupsE2EMemoryLimit checks that an allocation past memory.limit is
// killed by the OOM killer (status 137, SIGKILL) while the container goes
// on, and that `huskrt events --stats` counts the kill.
func TestCgroupsE2EMemoryLimit(t *testing.T) {
	cgroupsE2ENeed(t, "memory")
	const limit = 32 << 20
	// busybox dd allocates its block (64 MiB) and reading /dev/zero into
	// it touches every page: twice the limit.
	b := cgroupsE2EBundle(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: cgroupsE2EI64(limit)}},
		"sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo $? >/tmp/dd; exec sleep 100")
	id := cgroupsE2EID("mem")
	b.must("run", "-d", id)
	pid := cgroupsE2EPid(b, id)

	var status string
	if !waitFor(30*time.Second, func() bool {
		status = cgroupsE2EReadFile(pid, "/tmp/dd")
		return status != ""
	}) {
		t.Fatalf("the allocation did not end within 30s")
	}
	if status != "137" {
		t.Errorf("allocating twice the memory limit exited %s, want 137 (killed)", status)
	}
	if st := b.status(id); st != "running" {
		t.Errorf("after the OOM kill the container is %s, want running: only the allocation dies", st)
	}
	s := cgroupsE2EStats(b, id)
	if s.OOMKills == 0 {
		t.Errorf("events --stats: oom_kills 0 after an OOM kill: %+v", s)
	}
	if s.Memory.Limit != limit {
		t.Errorf("events --stats: memory limit %d, want %d", s.Memory.Limit, limit)
	}
	cgroupsE2EDelete(b, id)
}

// TestCgroupsE2EPidsLimit runs a fork bomb in a container with a pids
// limit: forks past the limit fail, the count stays within it, and the
// container survives and takes a new process once the bomb's are gone.
func TestCgroupsE2EPidsLimit(t *testing.T) {
	cgroupsE2ENeed(t, "pids")
	// Room for huskrt exec's own threads: it joins the cgroup while it
	// still runs Go, before it execs the payload.
	const limit = 20
	// The init is a shell, which reaps the bomb's orphans: zombies would
	// keep counting against the limit.
	b := cgroupsE2EBundle(t, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: cgroupsE2EI64(limit)}},
		"sh", "-c", "while :; do sleep 1; done")
	id := cgroupsE2EID("pids")
	b.must("run", "-d", id)

	r := b.rt("exec", id, "sh", "-c", "for i in $(seq 100); do sleep 3 & done; wait")
	if r.code == 0 || !strings.Contains(r.stderr, "can't fork") {
		t.Errorf("100 background processes under a limit of %d: exit %d, %q; want a failed fork",
			limit, r.code, r.stderr)
	}
	s := cgroupsE2EStats(b, id)
	if s.Pids.Limit != limit || s.Pids.Current > limit || s.Pids.Current < 3 {
		t.Errorf("events --stats during the bomb: pids %+v, want limit %d and 3..%d current", s.Pids, limit, limit)
	}
	if st := b.status(id); st != "running" {
		t.Fatalf("after the fork bomb the container is %s, want running", st)
	}
	// The bomb's sleeps end after 3s; then there is room again.
	if !waitFor(20*time.Second, func() bool { return cgroupsE2EStats(b, id).Pids.Current <= 2 }) {
		t.Fatalf("the fork bomb's processes did not end: %+v", cgroupsE2EStats(b, id).Pids)
	}
	if out := b.must("exec", id, "echo", "alive"); out != "alive\n" {
		t.Errorf("exec after the fork bomb: %q", out)
	}
	cgroupsE2EDelete(b, id)
}

// TestCgroupsE2ECPUQuota gives a busy loop half a CPU (quota 50ms per
// 100ms) and measures, with the container's own CPU usage from `huskrt
// events --stats`, that it gets about that and is throttled. The bounds
// are wide: an emulated guest's vCPUs share the host's cores.
func TestCgroupsE2ECPUQuota(t *testing.T) {
	cgroupsE2ENeed(t, "cpu")
	b := cgroupsE2EBundle(t, &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: cgroupsE2EI64(50000), Period: cgroupsE2EU64(100000)}},
		"sh", "-c", "while :; do :; done")
	id := cgroupsE2EID("cpu")
	b.must("run", "-d", id)

	time.Sleep(200 * time.Millisecond) // let the loop reach its quota
	// A loop starved by a busy host proves nothing either way: it is
	// measured again, up to three times. Going past the quota fails at once.
	for try := 1; ; try++ {
		s0, t0 := cgroupsE2EStats(b, id), time.Now()
		time.Sleep(1500 * time.Millisecond)
		s1, t1 := cgroupsE2EStats(b, id), time.Now()
		share := float64(s1.CPU.UsageNS-s0.CPU.UsageNS) / float64(t1.Sub(t0).Nanoseconds())
		throttled := s1.CPU.ThrottledPeriods - s0.CPU.ThrottledPeriods
		t.Logf("busy loop with quota 0.5: %.2f CPU over %s, %d of %d periods throttled",
			share, t1.Sub(t0).Round(time.Millisecond), throttled, s1.CPU.Periods-s0.CPU.Periods)
		if share > 0.75 {
			t.Fatalf("busy loop with a quota of half a CPU used %.2f CPU, want about 0.5", share)
		}
		if share >= 0.1 && throttled > 0 {
			break
		}
		if try == 3 {
			t.Fatalf("busy loop used %.2f CPU and was throttled %d times: want about 0.5 and throttled",
				share, throttled)
		}
	}
	cgroupsE2EDelete(b, id)
}

// TestCgroupsE2EPauseResume freezes a counting container with huskrt
// pause and thaws it with resume, checking state and counter.
func TestCgroupsE2EPauseResume(t *testing.T) {
	cgroupsE2ENeed(t, "freezer")
	b := cgroupsE2EBundle(t, nil, "sh", "-c", ociCounterScript)
	id := cgroupsE2EID("pause")
	b.must("run", "-d", id)
	pid := cgroupsE2EPid(b, id)

	ociCheckFrozen(t, pid, func() {
		b.must("pause", id)
		if st := b.status(id); st != "paused" {
			t.Errorf("after pause: %s, want paused", st)
		}
	}, func() {
		b.must("resume", id)
		if st := b.status(id); st != "running" {
			t.Errorf("after resume: %s, want running", st)
		}
	})
	cgroupsE2EDelete(b, id)
}

// TestCgroupsE2EDevices checks the device rules: a container may make any
// node (the default rules allow mknod) but opens only the devices the
// rules allow. /dev/kmsg (c 1:11) opens for writing without any
// capability, so whether it opens is up to the cgroup alone; /dev/mem
// (c 1:1) must stay shut whatever the rules, since it also needs
// CAP_SYS_RAWIO. Nothing is written to either.
func TestCgroupsE2EDevices(t *testing.T) {
	cgroupsE2ENeed(t, "devices")
	const script = `
mknod /dev/mem0 c 1 1 && { head -c1 /dev/mem0 >/dev/null 2>&1 && echo mem:read || echo mem:shut; }
mknod /dev/kmsg0 c 1 11 && { if (true >/dev/kmsg0) 2>/dev/null; then echo kmsg:open; else echo kmsg:shut; fi; }
echo zero:$(head -c3 /dev/zero | wc -c)`
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  string
	}{
		// huskrt spec's own rule, deny everything, then the defaults.
		{"denied", nil, "mem:shut kmsg:shut zero:3"},
		{"allowed", []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: cgroupsE2EI64(1), Minor: cgroupsE2EI64(11), Access: "w"}},
			"mem:shut kmsg:open zero:3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := cgroupsE2EBundle(t, nil, "sh", "-c", script)
			b.spec.Linux.Resources.Devices = append(b.spec.Linux.Resources.Devices, tc.rules...)
			caps := b.spec.Process.Capabilities
			caps.Bounding = append(caps.Bounding, "CAP_MKNOD")
			caps.Effective = append(caps.Effective, "CAP_MKNOD")
			caps.Permitted = append(caps.Permitted, "CAP_MKNOD")
			b.write()
			r := b.rt("run", cgroupsE2EID("dev-"+tc.name))
			if got := strings.Join(strings.Fields(r.stdout), " "); r.code != 0 || got != tc.want {
				t.Errorf("device rules %+v: exit %d, %q (stderr %q), want %q", b.spec.Linux.Resources.Devices,
					r.code, got, r.stderr, tc.want)
			}
		})
	}
}

// TestCgroupsE2EUpdate changes a running container's memory limit with
// huskrt update and reads it back (see cgroupsE2EMemoryMax) and from the
// stats, and checks the stats of a quiet container are sane.
func TestCgroupsE2EUpdate(t *testing.T) {
	cgroupsE2ENeed(t, "memory", "pids", "cpu")
	b := cgroupsE2EBundle(t, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: cgroupsE2EI64(64 << 20)},
		Pids:   &specs.LinuxPids{Limit: cgroupsE2EI64(50)},
	}, "sleep", "100")
	id := cgroupsE2EID("update")
	b.must("run", "-d", id)

	pid := cgroupsE2EPid(b, id)
	if got := cgroupsE2EMemoryMax(b, id, pid); got != strconv.Itoa(64<<20) {
		t.Fatalf("memory limit before update: %q, want %d", got, 64<<20)
	}
	b.must("update", "--memory", "48m", id)
	if got := cgroupsE2EMemoryMax(b, id, pid); got != strconv.Itoa(48<<20) {
		t.Errorf("memory limit after update --memory 48m: %q, want %d", got, 48<<20)
	}

	s := cgroupsE2EStats(b, id)
	if s.Memory.Limit != 48<<20 {
		t.Errorf("events --stats: memory limit %d after update, want %d", s.Memory.Limit, 48<<20)
	}
	if s.Memory.Usage == 0 || s.Memory.Usage > s.Memory.Limit {
		t.Errorf("events --stats: memory usage %d, want more than 0 and at most the limit", s.Memory.Usage)
	}
	if s.Pids.Current != 1 || s.Pids.Limit != 50 {
		t.Errorf("events --stats: pids %+v, want 1 (sleep) and limit 50", s.Pids)
	}
	if s.CPU.UsageNS == 0 {
		t.Errorf("events --stats: cpu %+v, want some usage (the container started)", s.CPU)
	}
	if s.OOMKills != 0 {
		t.Errorf("events --stats: %d OOM kills in a container that allocates nothing", s.OOMKills)
	}
	cgroupsE2EDelete(b, id)
}

package tests

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cgroupsE2EUsage is the part of `huskrt events --stats` the cgroup tests
// read: its "data", husk's cgroups.Stats, decoded here on its own so the
// tests depend on the command's output only.
type cgroupsE2EUsage struct {
	CPU struct {
		UsageNS          uint64 `json:"usage_ns"`
		UserNS           uint64 `json:"user_ns"`
		SystemNS         uint64 `json:"system_ns"`
		Periods          uint64 `json:"periods"`
		ThrottledPeriods uint64 `json:"throttled_periods"`
	} `json:"cpu"`
	Memory struct {
		Usage uint64 `json:"usage"`
		Limit uint64 `json:"limit"`
	} `json:"memory"`
	Pids struct {
		Current uint64 `json:"current"`
		Limit   uint64 `json:"limit"`
	} `json:"pids"`
	OOMKills uint64 `json:"oom_kills"`
}

// cgroupsE2ENeed skips the test unless every controller named can be
// used: on a cgroup v2 host, listed in the root's cgroup.controllers (the
// freezer and devices are built into v2 and always there); elsewhere,
// mounted as a v1 hierarchy.
func cgroupsE2ENeed(t *testing.T, controllers ...string) {
	t.Helper()
	need(t)
	if cgroupsE2EUnified() {
		data, _ := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		have := strings.Fields(string(data))
		for _, c := range controllers {
			if c != "freezer" && c != "devices" && !cgroupsE2EContains(have, c) {
				skipf(t, "cgroup v2 controller %s is not available (have %v)", c, have)
			}
		}
		return
	}
	for _, c := range controllers {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", c, "tasks")); err != nil {
			skipf(t, "cgroup v1 controller %s is not mounted at /sys/fs/cgroup/%s", c, c)
		}
	}
}

func cgroupsE2EContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cgroupsE2EBundle makes a bundle running args with res as its
// linux.resources, after the device rule huskrt spec writes (deny all).
// Its rootfs is writable, so payloads can leave files in /tmp.
func cgroupsE2EBundle(t *testing.T, res *specs.LinuxResources, args ...string) *bundle {
	t.Helper()
	b := newBundle(t, args...)
	b.spec.Root.Readonly = false
	if res != nil {
		res.Devices = append(b.spec.Linux.Resources.Devices, res.Devices...)
		b.spec.Linux.Resources = res
	}
	b.write()
	return b
}

// cgroupsE2EID names a container of this test process: its cgroup is
// husk-ID, so an ID with the pid in it finds this run's cgroups only.
func cgroupsE2EID(name string) string {
	return fmt.Sprintf("cge2e-%s-%d", name, os.Getpid())
}

// cgroupsE2EPid returns the pid of a container's init.
func cgroupsE2EPid(b *bundle, id string) int {
	b.t.Helper()
	var st struct{ Pid int }
	if err := json.Unmarshal([]byte(b.must("state", id)), &st); err != nil || st.Pid <= 0 {
		b.t.Fatalf("state %s: pid %d, %v", id, st.Pid, err)
	}
	return st.Pid
}

// cgroupsE2EUnified reports whether the host has cgroup v2 alone.
func cgroupsE2EUnified() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// cgroupsE2EMemoryMax reads the memory limit of the container in
// cgroup v2 from inside it: its cgroup namespace and the cgroup2 mount
// of the spec show its own cgroup at /sys/fs/cgroup. On v1 hosts husk
// mounts no v1 hierarchy in containers, so there it is read from the host
// path of the init's memory cgroup.
func cgroupsE2EMemoryMax(b *bundle, id string, pid int) string {
	b.t.Helper()
	if cgroupsE2EUnified() {
		return strings.TrimSpace(b.must("exec", id, "cat", "/sys/fs/cgroup/memory.max"))
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		b.t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		// hierarchy-ID:controller-list:path
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && cgroupsE2EContains(strings.Split(f[1], ","), "memory") {
			limit, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", f[2], "memory.limit_in_bytes"))
			if err != nil {
				b.t.Fatal(err)
			}
			return strings.TrimSpace(string(limit))
		}
	}
	b.t.Fatalf("no memory cgroup in /proc/%d/cgroup:\n%s", pid, data)
	return ""
}

// cgroupsE2EReadFile reads a file in the container of pid, through its
// root as the host sees it; "" when it is not there.
func cgroupsE2EReadFile(pid int, path string) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/root%s", pid, path))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// cgroupsE2EStats returns the container's stats from `huskrt events
// --stats`.
func cgroupsE2EStats(b *bundle, id string) cgroupsE2EUsage {
	b.t.Helper()
	var ev struct {
		Type string
		ID   string
		Data cgroupsE2EUsage
	}
	out := b.must("events", "--stats", id)
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.Type != "stats" || ev.ID != id {
		b.t.Fatalf("events --stats %s: %q: %v", id, out, err)
	}
	return ev.Data
}

// cgroupsE2EDelete force-deletes the container and checks that no cgroup
// directory of it is left in any hierarchy under /sys/fs/cgroup.
func cgroupsE2EDelete(b *bundle, id string) {
	b.t.Helper()
	b.must("delete", "--force", id)
	if left := cgroupsE2EDirs(id); len(left) > 0 {
		b.t.Errorf("cgroup directories left after delete: %v", left)
	}
}

// cgroupsE2EDirs finds the cgroup directories whose name holds id.
func cgroupsE2EDirs(id string) []string {
	var found []string
	filepath.WalkDir("/sys/fs/cgroup", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a cgroup removed while we walk
		}
		if d.IsDir() && strings.Contains(d.Name(), id) {
			found = append(found, p)
		}
		return nil
	})
	return found
}

func cgroupsE2EI64(v int64) *int64   { return &v }
func cgroupsE2EU64(v uint64) *uint64 { return &v }

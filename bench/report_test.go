package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// sampleReport is a report as a run on a hybrid host without KVM gives.
func sampleReport() *Report {
	r := &Report{
		Host: Host{Kernel: "6.1.0", CPUs: 2, CgroupMode: "hybrid", Started: "2026-01-01T00:00:00Z"},
		Runs: 5,
		Startup: []StartupResult{
			{Name: NameHusk}, {Name: NameHuskrt}, {Name: NameRunc}, {Name: NameFloor}, {Name: NameVM},
		},
		Memory: []MemoryResult{
			{Name: NameHuskIdle, Instances: 3, HostKiBPerInstance: 2048, PSSKiBPerInstance: 1500, Processes: 2},
			{Name: NameVM, Instances: 1, HostKiBPerInstance: 90000, PSSKiBPerInstance: 80000, Processes: 1},
		},
		Disk:      &Disk{ImageBytes: 1 << 20, KernelBytes: 8 << 20, InitramfsBytes: 1 << 20},
		VM:        &VMInfo{Accel: "tcg", Kernel: "6.1.0-57-cloud-amd64", MemoryMB: 256, CPUs: 1},
		Skipped:   []Skip{{Name: NameCrun, Test: "all", Reason: "crun refuses hybrid cgroup hosts"}},
		Leftovers: []string{},
	}
	fillStartup(r.Startup, map[string][]time.Duration{
		NameHusk:   msd(10, 11, 12, 13, 14),
		NameHuskrt: msd(15, 16, 17, 18, 19),
		NameRunc:   msd(20, 21, 22, 23, 24),
		NameFloor:  msd(4, 4, 4, 5, 5),
		NameVM:     msd(1800, 1900, 2000),
	})
	return r
}

func TestFillStartupRatios(t *testing.T) {
	r := sampleReport()
	byName := map[string]StartupResult{}
	for _, s := range r.Startup {
		byName[s.Name] = s
	}
	husk := byName[NameHusk]
	if husk.P50Ms != 12 || husk.Runs != 5 {
		t.Errorf("husk: p50 %v ms over %d runs, want 12 ms over 5", husk.P50Ms, husk.Runs)
	}
	if husk.VsRunc != 0.55 || husk.VsFloor != 3 {
		t.Errorf("husk: %vx runc, %vx floor; want 0.55 and 3", husk.VsRunc, husk.VsFloor)
	}
	if got := byName[NameRunc].VsRunc; got != 1 {
		t.Errorf("runc over itself: %v", got)
	}
	if got := byName[NameVM].VsFloor; got != 475 {
		t.Errorf("vm over the floor: %v, want 475", got)
	}
}

func TestFillStartupWithoutRunc(t *testing.T) {
	rs := []StartupResult{{Name: NameHusk}, {Name: NameFloor}}
	fillStartup(rs, map[string][]time.Duration{NameHusk: msd(8), NameFloor: msd(4)})
	if rs[0].VsRunc != 0 || rs[0].VsFloor != 2 {
		t.Errorf("without runc: %vx runc (want 0: none), %vx floor (want 2)", rs[0].VsRunc, rs[0].VsFloor)
	}
}

// TestReportJSONShape pins the field names that scripts reading
// `husk bench --json` rely on.
func TestReportJSONShape(t *testing.T) {
	data, err := json.Marshal(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "runs", "startup", "memory", "disk", "vm", "skipped", "leftovers"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, data)
		}
	}
	startup := m["startup"].([]any)
	if len(startup) != 5 {
		t.Fatalf("%d startup entries, want 5", len(startup))
	}
	first := startup[0].(map[string]any)
	for _, k := range []string{"name", "command", "runs", "failures", "p50_ms", "p90_ms", "p99_ms", "min_ms", "mean_ms", "max_ms", "vs_runc", "vs_floor"} {
		if _, ok := first[k]; !ok {
			t.Errorf("startup entry has no %q: %v", k, first)
		}
	}
	if first["p50_ms"].(float64) != 12 {
		t.Errorf("p50_ms = %v, want 12", first["p50_ms"])
	}
	mem := m["memory"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "instances", "host_kib_per_instance", "pss_kib_per_instance", "processes_per_instance"} {
		if _, ok := mem[k]; !ok {
			t.Errorf("memory entry has no %q: %v", k, mem)
		}
	}
	disk := m["disk"].(map[string]any)
	for _, k := range []string{"image_bytes", "vm_kernel_bytes", "vm_initramfs_bytes"} {
		if _, ok := disk[k]; !ok {
			t.Errorf("disk has no %q: %v", k, disk)
		}
	}
	if vm := m["vm"].(map[string]any); vm["accel"] != "tcg" {
		t.Errorf("vm.accel = %v", vm["accel"])
	}
	skip := m["skipped"].([]any)[0].(map[string]any)
	if skip["name"] != NameCrun || skip["test"] != "all" || !strings.Contains(skip["reason"].(string), "hybrid") {
		t.Errorf("skipped[0] = %v", skip)
	}
	if l, ok := m["leftovers"].([]any); !ok || len(l) != 0 {
		t.Errorf("leftovers = %v, want []", m["leftovers"])
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	sampleReport().WriteText(&b)
	out := b.String()
	for _, want := range []string{
		"cgroup hybrid", "TCG", "x runc", NameHusk, NameVM, "12.0", "0.55",
		"memory per idle instance", NameHuskIdle, "1.46", // 1500 KiB
		"image (unpacked layers)", "crun refuses hybrid cgroup hosts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "LEFT BEHIND") {
		t.Errorf("clean report says something was left behind:\n%s", out)
	}
}

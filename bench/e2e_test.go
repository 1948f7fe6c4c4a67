package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// needE2E skips the end-to-end test with the reason, except in CI
// (CI=true), where the suite has everything it needs and a skip would
// hide a missing install step (as tests/ does).
func needE2E(t *testing.T, ok bool, reason string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI must not skip: " + reason)
	}
	t.Skip(reason)
}

// buildOrEnv returns the binary named by env, or builds pkg.
func buildOrEnv(t *testing.T, env, pkg string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// TestE2EBench runs a tiny benchmark with the real runtimes and checks
// that every contender that was not skipped for a stated reason produced
// numbers, and that nothing was left behind: no containers, no husk-*
// cgroups, no processes, no temp dir.
func TestE2EBench(t *testing.T) {
	needE2E(t, os.Geteuid() == 0, "the benchmark's runtimes need root")
	images := os.Getenv("HUSK_TEST_IMAGES")
	if images == "" {
		images, _ = filepath.Abs("../../shared/images")
	}
	layout, err := FindImage(images)
	needE2E(t, err == nil, fmt.Sprint(err))
	husk := buildOrEnv(t, "HUSK_BIN", "../cmd/husk")
	huskrt := buildOrEnv(t, "HUSKRT_BIN", "../cmd/huskrt")

	tools := findTools()
	skipVM := tools.Qemu == ""
	if skipVM {
		t.Log("qemu-system-x86_64 not found: running with SkipVM (apt-get install qemu-system-x86 for the VM)")
	}
	cache := os.Getenv("HUSK_VM_CACHE")
	if cache == "" {
		cache, _ = filepath.Abs("../build/vm")
	}

	cgroupsBefore := huskCgroups()
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var log strings.Builder
	rep, err := Run(ctx, Options{
		Husk: husk, Huskrt: huskrt, Image: layout,
		Runs: 3, Containers: 3, VMs: 1, SkipVM: skipVM, VMCache: cache,
		TempDir: tmp, Log: &log,
	})
	t.Logf("progress:\n%s", log.String())
	if rep != nil {
		var text strings.Builder
		rep.WriteText(&text)
		t.Logf("report:\n%s", text.String())
	}
	if err != nil {
		t.Fatal(err)
	}

	skipped := map[string]string{}
	for _, s := range rep.Skipped {
		skipped[s.Name] = s.Reason
	}
	want := []string{NameHusk, NameHuskrt, NameHuskrtRun, NameFloor}
	if tools.Runc != "" {
		want = append(want, NameRunc)
	}
	if !skipVM {
		want = append(want, NameVM)
	}
	byName := map[string]StartupResult{}
	for _, s := range rep.Startup {
		byName[s.Name] = s
	}
	for _, name := range want {
		s, ok := byName[name]
		switch {
		case !ok:
			t.Errorf("%s: no start-up numbers (skipped: %q)", name, skipped[name])
		case s.Failures > 0:
			t.Errorf("%s: %d runs failed: %s", name, s.Failures, s.Error)
		case s.Runs != 3 || s.P50Ms <= 0 || s.P99Ms < s.P50Ms:
			t.Errorf("%s: %d runs, p50 %v ms, p99 %v ms", name, s.Runs, s.P50Ms, s.P99Ms)
		}
	}
	if s, ok := byName[NameRunc]; ok && s.VsRunc != 1 {
		t.Errorf("runc over runc = %v", s.VsRunc)
	}
	// crun runs, or is skipped saying why.
	if _, ran := byName[NameCrun]; !ran && skipped[NameCrun] == "" {
		t.Errorf("crun neither ran nor was reported skipped")
	}
	if cgroupMode() == "hybrid" && tools.Crun != "" && !strings.Contains(skipped[NameCrun], "hybrid") {
		t.Logf("crun ran on a hybrid host: %+v", byName[NameCrun])
	}

	wantMem := []string{NameHuskIdle, NameHuskrtIdle}
	if tools.Runc != "" {
		wantMem = append(wantMem, NameRuncIdle)
	}
	if !skipVM {
		wantMem = append(wantMem, NameVM)
	}
	for _, name := range wantMem {
		i := slices.IndexFunc(rep.Memory, func(m MemoryResult) bool { return m.Name == name })
		if i < 0 {
			t.Errorf("%s: no memory numbers (skipped: %q)", name, skipped[name])
			continue
		}
		if m := rep.Memory[i]; m.PSSKiBPerInstance <= 0 || m.Processes < 1 {
			t.Errorf("%s: memory %+v", name, m)
		}
	}
	if rep.Disk == nil || rep.Disk.ImageBytes <= 0 || (!skipVM && rep.Disk.KernelBytes <= 0) {
		t.Errorf("disk: %+v", rep.Disk)
	}
	if !skipVM && (rep.VM == nil || (rep.VM.Accel != "kvm" && rep.VM.Accel != "tcg")) {
		t.Errorf("vm info: %+v", rep.VM)
	}

	// Nothing left behind, by the report and by looking.
	if len(rep.Leftovers) > 0 {
		t.Errorf("left behind: %v", rep.Leftovers)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("temp dir not removed: %v", entries)
	}
	if qemus := childrenNamed(qemuComm); len(qemus) > 0 {
		t.Errorf("qemu processes still running: %v", qemus)
	}
	ps, _ := processes()
	for _, p := range ps {
		if p.ppid == os.Getpid() {
			t.Errorf("child process left: %d (%s, state %c)", p.pid, p.comm, p.state)
		}
	}
	time.Sleep(time.Second) // a cgroup of another package's test may be on its way out
	for _, p := range benchCgroups(huskCgroups(), rep.Tag) {
		if !slices.Contains(cgroupsBefore, p) {
			t.Errorf("cgroup left: %s", p)
		}
	}
}

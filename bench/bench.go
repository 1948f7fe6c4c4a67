// Package bench measures what containers save over virtual machines:
// the start-up time of /bin/true in busybox under husk, huskrt, runc,
// crun, a bare unshare(1) and a qemu microvm, interleaved in one run so
// that machine noise reaches every contender alike; the memory of idle
// instances; and what each needs on disk.
//
// Contenders are values with a Run func (see Contender and Fleet); the
// statistics (Percentile, Ratio, Schedule) and the report's writers are
// pure and tested without root. Run needs root, as the runtimes do.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"husk/engine"
	"husk/image"
)

// Options configure a benchmark run.
type Options struct {
	// Husk is the husk binary; `husk bench` passes its own.
	Husk string
	// Huskrt is the huskrt binary; "" looks beside Husk, then in PATH.
	Huskrt string
	// Image is the busybox image: an OCI layout directory or archive.
	Image string
	// Runs is the number of interleaved rounds of the start-up test.
	Runs int
	// VMRuns is how many of those rounds boot the VM; 0 means
	// max(3, Runs/10), at most Runs.
	VMRuns int
	// Containers is the number of idle containers of each runtime in the
	// memory test; 0 skips the test.
	Containers int
	// VMs is the number of idle guests in the memory test.
	VMs int
	// SkipVM leaves the VM out.
	SkipVM bool
	// VMCache holds the Debian kernel, downloaded with apt-get the first
	// time.
	VMCache string
	// Install lets the benchmark apt-get install the Debian packages of
	// the programs it misses (runc, crun, qemu-system-x86).
	Install bool
	// TempDir is where the benchmark's temp dir goes; "" is os.TempDir.
	TempDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// DefaultVMCache is where the VM's kernel is kept between runs.
const DefaultVMCache = "/var/cache/husk/vm"

// Run runs the benchmark. Everything it starts lives in a temp dir of
// its own and is removed before it returns, on error and on ctx's end
// too; what it could not remove is listed in the report's Leftovers (and
// in the error, when it returns one).
func Run(ctx context.Context, o Options) (rep *Report, err error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, format+"\n", args...) }
	if os.Geteuid() != 0 {
		return nil, errors.New("bench: the runtimes need root")
	}
	if o.Runs < 1 {
		return nil, fmt.Errorf("bench: runs %d: want at least 1", o.Runs)
	}
	if o.Containers < 0 || o.VMs < 0 {
		return nil, errors.New("bench: negative instance count")
	}
	if o.VMRuns == 0 {
		o.VMRuns = min(max(3, o.Runs/10), o.Runs)
	}
	if o.VMCache == "" {
		o.VMCache = DefaultVMCache
	}
	if o.Husk == "" {
		return nil, errors.New("bench: no husk binary")
	}
	if err := becomeSubreaper(); err != nil {
		return nil, err
	}

	rep = &Report{Host: hostInfo(), Runs: o.Runs, Skipped: []Skip{}, Leftovers: []string{}}
	skip := func(name, test, reason string) {
		rep.Skipped = append(rep.Skipped, Skip{Name: name, Test: test, Reason: reason})
		logf("skip %s (%s): %s", name, test, reason)
	}
	cgroupsBefore := huskCgroups()

	tmp, err := os.MkdirTemp(o.TempDir, "husk-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{tag: randomTag(), tmp: tmp, husk: o.Husk}
	rep.Tag = e.tag
	e.rt, err = newRunner(filepath.Join(tmp, "output"))
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	defer func() {
		rep.Leftovers = e.cleanup(cgroupsBefore)
		if len(rep.Leftovers) > 0 && err == nil {
			err = fmt.Errorf("bench: left behind: %s", strings.Join(rep.Leftovers, "; "))
		}
	}()

	// Programs.
	e.tools = findTools()
	if missing := missingPackages(e.tools, !o.SkipVM); len(missing) > 0 && o.Install {
		if err := installPackages(ctx, missing, o.Log); err != nil {
			logf("%v", err)
		}
		e.tools = findTools()
	}
	if e.huskrt = o.Huskrt; e.huskrt == "" {
		e.huskrt = lookBeside(o.Husk, "huskrt")
	}

	// The image, a store with it, and the bundles of its rootfs.
	logf("importing %s", o.Image)
	layers, err := e.prepareImage(o.Image)
	if err != nil {
		return rep, err
	}
	rep.Disk = &Disk{}
	for _, l := range layers {
		n, err := diskUsage(l)
		if err != nil {
			return rep, err
		}
		rep.Disk.ImageBytes += n
	}

	// The contenders, each tried once before the clock runs: a warm-up
	// (page cache, first-run set-up) and the check that it works here.
	var all []Contender
	all = append(all, e.huskContender())
	if e.huskrt != "" {
		all = append(all, e.huskrtContender(), e.ociRunContender(NameHuskrtRun, e.huskrt, "huskrt"))
	} else {
		skip("huskrt", "all", "huskrt not found beside husk or in PATH: build it (make build) or pass --huskrt")
	}
	for _, c := range []struct{ name, path, kind string }{
		{NameRunc, e.tools.Runc, "runc"}, {NameCrun, e.tools.Crun, "crun"},
	} {
		if c.path == "" {
			skip(c.name, "all", missingReason(c.kind))
			continue
		}
		all = append(all, e.ociRunContender(c.name, c.path, c.kind))
	}
	if e.tools.Unshare != "" {
		all = append(all, e.floorContender())
	} else {
		skip(NameFloor, "startup", missingReason("unshare"))
	}
	var g *guest
	switch {
	case o.SkipVM:
		skip(NameVM, "all", "--skip-vm")
	case e.tools.Qemu == "":
		skip(NameVM, "all", missingReason("qemu-system-x86_64"))
	default:
		logf("preparing the VM (kernel cache %s)", o.VMCache)
		g, err = e.prepareVM(ctx, o.VMCache, filepath.Join(e.bundle, "rootfs"), logf)
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			skip(NameVM, "all", err.Error())
			g = nil
		} else {
			rep.VM = &g.info
			rep.Disk.KernelBytes, rep.Disk.InitramfsBytes = g.kernelBytes, g.initrdBytes
			all = append(all, g.contender(o.VMRuns))
		}
	}
	refused := map[string]bool{}
	var ready []Contender
	for _, c := range all {
		logf("warming up %s", c.Name)
		if err := runOnce(ctx, c); err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			skip(c.Name, "all", refusal(c.Name, err))
			refused[c.Name] = true
			continue
		}
		ready = append(ready, c)
	}

	// Start-up, interleaved.
	samples, results, err := startup(ctx, ready, o.Runs, logf)
	if err != nil {
		return rep, err
	}
	fillStartup(results, samples)
	rep.Startup = results

	// Memory of idle instances.
	rep.Memory = []MemoryResult{}
	var fleets []Fleet
	var fleetSizes []int
	// A runtime that refused to run /bin/true is not asked for more.
	addFleet := func(f Fleet, startupName string, n int) {
		if refused[startupName] || n == 0 {
			return
		}
		fleets, fleetSizes = append(fleets, f), append(fleetSizes, n)
	}
	if o.Containers > 0 {
		addFleet(e.huskFleet(), NameHusk, o.Containers)
		if e.huskrt != "" {
			addFleet(e.ociFleet(NameHuskrtIdle, e.huskrt, "huskrt"), NameHuskrtRun, o.Containers)
		}
		if e.tools.Runc != "" {
			addFleet(e.ociFleet(NameRuncIdle, e.tools.Runc, "runc"), NameRunc, o.Containers)
		}
		if e.tools.Crun != "" {
			addFleet(e.ociFleet(NameCrunIdle, e.tools.Crun, "crun"), NameCrun, o.Containers)
		}
	}
	if g != nil && o.VMs > 0 {
		addFleet(g.fleet(), NameVM, o.VMs)
	}
	for i, f := range fleets {
		logf("memory: %d idle %s", fleetSizes[i], f.Name)
		settle := time.Second
		if f.Name == NameVM {
			settle = 3 * time.Second // let the guest's boot-time allocations finish
		}
		m, err := measureFleet(ctx, f, fleetSizes[i], settle)
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			skip(f.Name, "memory", err.Error())
			continue
		}
		rep.Memory = append(rep.Memory, m)
	}
	return rep, nil
}

// runOnce runs a contender once within its timeout.
func runOnce(ctx context.Context, c Contender) error {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	return c.Run(ctx)
}

// startup runs the contenders interleaved: in each of rounds rounds,
// every contender due in it (see Schedule) runs once, in an order
// rotated each round (see Order).
func startup(ctx context.Context, cs []Contender, rounds int, logf func(string, ...any)) (map[string][]time.Duration, []StartupResult, error) {
	samples := map[string][]time.Duration{}
	results := make([]StartupResult, len(cs))
	due := make([][]bool, len(cs))
	for i, c := range cs {
		results[i] = StartupResult{Name: c.Name, Command: c.Command}
		runs := c.Runs
		if runs == 0 {
			runs = rounds
		}
		due[i] = Schedule(rounds, runs)
	}
	for round := 0; round < rounds; round++ {
		if round%10 == 0 {
			logf("start-up: round %d of %d", round+1, rounds)
		}
		for _, i := range Order(round, len(cs)) {
			if !due[i][round] {
				continue
			}
			start := time.Now()
			err := runOnce(ctx, cs[i])
			took := time.Since(start)
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if err != nil {
				results[i].Failures++
				if results[i].Error == "" {
					results[i].Error = err.Error()
				}
				continue
			}
			samples[cs[i].Name] = append(samples[cs[i].Name], took)
		}
	}
	return samples, results, nil
}

// prepareImage imports the image into a store in the temp dir and makes
// the bundles from its layers; it returns the layers' directories.
func (e *env) prepareImage(layout string) ([]string, error) {
	if layout == "" {
		return nil, errors.New("no image: pass --images DIR or set HUSK_TEST_IMAGES")
	}
	e.store = filepath.Join(e.tmp, "store")
	e.image = "husk-bench/busybox:" + e.tag
	st, err := image.Open(e.store)
	if err != nil {
		return nil, err
	}
	img, err := st.Import(layout, image.ImportOptions{Name: e.image})
	if err != nil {
		return nil, err
	}
	layers := st.LayerDirs(img)

	// The OCI runtimes get one bundle whose rootfs is the image's layers
	// copied in order; a whiteout (of a later layer over an earlier one)
	// is not applied, which a one-layer busybox does not need.
	e.bundle = filepath.Join(e.tmp, "bundle")
	rootfs := filepath.Join(e.bundle, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return nil, err
	}
	for _, l := range layers {
		if out, err := exec.Command("cp", "-a", l+"/.", rootfs).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copy layer %s: %w: %s", l, err, out)
		}
	}
	if err := writeSpec(e.bundle, "rootfs", []string{"/bin/true"}); err != nil {
		return nil, err
	}
	e.sleeper = filepath.Join(e.tmp, "bundle-sleep")
	if err := os.Mkdir(e.sleeper, 0o755); err != nil {
		return nil, err
	}
	if err := writeSpec(e.sleeper, rootfs, []string{"sleep", "3600"}); err != nil {
		return nil, err
	}
	return layers, nil
}

// cleanup removes every container the benchmark may have left (force-
// deleting whatever the runtimes still know in its state roots, and
// husk's containers in its store), reaps adopted inits, and removes the
// temp dir. It returns what stayed behind.
func (e *env) cleanup(cgroupsBefore []string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	left := []string{} // "leftovers": [] in the JSON when all went
	for kind, binary := range map[string]string{"huskrt": e.huskrt, "runc": e.tools.Runc, "crun": e.tools.Crun} {
		root := e.stateRoot(kind)
		entries, _ := os.ReadDir(root)
		for _, ent := range entries {
			if !ent.IsDir() || binary == "" {
				continue
			}
			if err := e.rt.run(ctx, binary, "--root", root, "delete", "--force", ent.Name()); err != nil {
				left = append(left, fmt.Sprintf("%s container %s: %v", kind, ent.Name(), err))
			}
		}
	}
	if e.store != "" {
		if eng, err := engine.Open(e.store); err == nil {
			cs, _ := eng.List()
			for _, c := range cs {
				if _, err := eng.Remove(c.ID, true); err != nil {
					left = append(left, fmt.Sprintf("husk container %s: %v", c.Name, err))
				}
			}
		}
	}
	reapZombies()

	// Our own qemu guests end with their Run; one still here is a bug.
	for _, pid := range childrenNamed(qemuComm) {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		left = append(left, fmt.Sprintf("qemu pid %d (killed)", pid))
	}
	left = append(left, e.leftoverProcesses()...)
	left = append(left, newCgroups(ctx, cgroupsBefore, e.tag)...)

	e.rt.close()
	if mounts := mountsUnder(e.tmp); len(mounts) > 0 {
		// Removing a tree with mounts in it would reach into them.
		return append(left, "mounts under "+e.tmp+": "+strings.Join(mounts, ", "))
	}
	if err := os.RemoveAll(e.tmp); err != nil {
		left = append(left, err.Error())
	}
	return left
}

// leftoverProcesses lists processes that still run something of the
// benchmark's: a container's sleep holding a file of its temp dir.
func (e *env) leftoverProcesses() []string {
	ps, _ := processes()
	var left []string
	for _, p := range ps {
		if p.pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
		if strings.Contains(string(cmdline), e.tmp) || strings.Contains(string(cmdline), "husk-bench-"+e.tag) {
			left = append(left, fmt.Sprintf("process %d (%s)", p.pid, p.comm))
		}
	}
	return left
}

// newCgroups returns the cgroups of this run (see benchCgroups) that
// appeared since before and are still there a moment later.
func newCgroups(ctx context.Context, before []string, tag string) []string {
	var fresh []string
	for _, p := range benchCgroups(huskCgroups(), tag) {
		if !slices.Contains(before, p) {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	// A runtime's delete may still be removing one (runc removes its
	// cgroups after the state dir).
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	var left []string
	for _, p := range fresh {
		if _, err := os.Stat(p); err == nil {
			left = append(left, "cgroup "+p)
		}
	}
	return left
}

// mountsUnder returns the mount points at or below dir.
func mountsUnder(dir string) []string {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	return out
}

// lookBeside finds a program in the directory of the binary next, else
// in PATH.
func lookBeside(next, name string) string {
	p := filepath.Join(filepath.Dir(next), name)
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return p
	}
	return lookPath(name)
}

func hostInfo() Host {
	var uts unix.Utsname
	unix.Uname(&uts)
	return Host{
		Kernel:     unix.ByteSliceToString(uts.Release[:]),
		CPUs:       runtime.NumCPU(),
		CgroupMode: cgroupMode(),
		Started:    time.Now().UTC().Format(time.RFC3339),
	}
}

func randomTag() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// BusyboxLayout is the image the benchmark runs, among the public images
// in the test images directory (README).
const BusyboxLayout = "busybox-1.38-musl"

// FindImage returns the busybox image to run: dir itself when it is an
// OCI layout, else dir/BusyboxLayout. With dir "", it tries
// $HUSK_TEST_IMAGES, ../shared/images, then the demo image that
// `make demo` builds (build/busybox-oci).
func FindImage(dir string) (string, error) {
	var tries []string
	if dir != "" {
		tries = []string{dir, filepath.Join(dir, BusyboxLayout)}
	} else {
		if env := os.Getenv("HUSK_TEST_IMAGES"); env != "" {
			tries = append(tries, filepath.Join(env, BusyboxLayout))
		}
		tries = append(tries, filepath.Join("..", "shared", "images", BusyboxLayout), filepath.Join("build", "busybox-oci"))
	}
	for _, p := range tries {
		if _, err := os.Stat(filepath.Join(p, "index.json")); err == nil {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("no busybox image: looked for an OCI layout at %s (pass --images DIR, set HUSK_TEST_IMAGES, or run make demo-image)",
		strings.Join(tries, ", "))
}

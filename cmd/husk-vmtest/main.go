// Command husk-vmtest runs husk's end-to-end tests in a qemu guest whose
// only cgroup hierarchy is v2, with every controller enabled: the pure v2
// host that this project's hybrid machines are not. `make vmtest` builds
// its inputs and runs it.
//
// It boots Debian's cloud kernel (downloaded once into -cache, see
// vm.DebianKernel) with an initramfs of busybox, the static husk, huskrt
// and husk-init binaries, the compiled tests package, the test images and the
// kernel modules asked for. The guest's /init mounts cgroup2 at
// /sys/fs/cgroup, runs the test binary with -test.v and -test.run, prints
// its exit status on the serial console and powers off; husk-vmtest
// copies the console to its stdout and exits with that status (125 when
// the test bed itself failed).
//
// The guest has no network device and no disk: nothing it does reaches
// the host. KVM is used when a probe boot under it succeeds within a few
// seconds (-accel auto); otherwise qemu emulates the CPU (TCG).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"husk/vm"
)

// exitBroken is the exit status when the test bed could not run the
// suite (the suite's own status is passed on as it is).
const exitBroken = 125

type config struct {
	cache, kernelPkg     string
	bin, busybox         string
	imagesDir, images    string
	run, modules, accel  string
	timeout, testTimeout time.Duration
	memoryMB, cpus       int
}

func main() {
	var c config
	flag.StringVar(&c.cache, "cache", "build/vm", "directory for the kernel cache and the initramfs")
	flag.StringVar(&c.kernelPkg, "kernel-package", vm.DefaultKernelPackage, "Debian package of the guest kernel")
	flag.StringVar(&c.bin, "bin", "build/vm/bin", "directory holding static husk, huskrt, husk-init and tests.test (go test -c ./tests)")
	flag.StringVar(&c.busybox, "busybox", "/bin/busybox", "a static busybox (Debian's busybox-static)")
	flag.StringVar(&c.imagesDir, "images", defaultImages(), "the test images' directory (HUSK_TEST_IMAGES)")
	// The harness imports these three before any test runs (publicImages
	// in tests/harness_test.go); the guest gets them and nothing else.
	flag.StringVar(&c.images, "image", "busybox-1.38-musl,busybox-1.38-glibc,alpine-3.20.3",
		"comma-separated image layouts of -images to copy into the guest")
	flag.StringVar(&c.run, "run", "CgroupsE2E", "the tests to run, as go test -run")
	flag.StringVar(&c.modules, "modules", "overlay,veth,bridge,nf_tables",
		"comma-separated kernel modules to load in the guest, with what they need")
	flag.StringVar(&c.accel, "accel", "auto", "kvm, tcg, or auto: KVM when a probe boot under it succeeds")
	flag.DurationVar(&c.timeout, "timeout", 170*time.Second, "limit for the guest's whole run")
	flag.DurationVar(&c.testTimeout, "test-timeout", 140*time.Second, "the test binary's -test.timeout")
	flag.IntVar(&c.memoryMB, "memory", 1024, "guest RAM in MiB")
	flag.IntVar(&c.cpus, "cpus", 2, "guest CPUs")
	flag.Parse()

	code, err := run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "husk-vmtest:", err)
		os.Exit(exitBroken)
	}
	os.Exit(code)
}

func defaultImages() string {
	if dir := os.Getenv("HUSK_TEST_IMAGES"); dir != "" {
		return dir
	}
	return "../shared/images"
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "husk-vmtest: "+format+"\n", args...)
}

func run(c config) (int, error) {
	// An interrupted run ends the guest too: Run kills qemu when ctx ends.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()

	k, err := vm.DebianKernel(ctx, c.cache, c.kernelPkg, logf)
	if err != nil {
		return 0, err
	}
	mods, err := vm.ReadModules(k.ModulesDir)
	if err != nil {
		return 0, err
	}

	t := time.Now()
	initrd := filepath.Join(c.cache, "vmtest.initramfs")
	if err := buildInitramfs(initrd, c, k, mods); err != nil {
		return 0, fmt.Errorf("build the initramfs: %w", err)
	}
	fi, err := os.Stat(initrd)
	if err != nil {
		return 0, err
	}
	logf("kernel %s; initramfs %s, %d MiB, built in %s", k.Release, initrd, fi.Size()>>20,
		time.Since(t).Round(time.Millisecond))

	kvm, err := chooseAccel(ctx, c, k)
	if err != nil {
		return 0, err
	}
	m := vm.Machine{Kernel: k.Image, Initrd: initrd, MemoryMB: c.memoryMB, CPUs: c.cpus, KVM: kvm}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var suiteAt time.Duration
	res, err := m.Run(ctx, func(at time.Duration, line string) {
		if strings.HasPrefix(line, vm.StageLine+"exec ") {
			suiteAt = at
		}
		fmt.Println(line)
	})
	if err != nil {
		return 0, err
	}
	accel := "TCG"
	if kvm {
		accel = "KVM"
	}
	logf("%s: boot to /init %s, set-up %s, suite %s; %s in all; suite exit status %d",
		accel, res.Boot.Round(10*time.Millisecond), (suiteAt - res.Boot).Round(10*time.Millisecond),
		(res.Total - suiteAt).Round(10*time.Millisecond), time.Since(start).Round(100*time.Millisecond), res.Code)
	return res.Code, nil
}

// chooseAccel decides between KVM and TCG.
func chooseAccel(ctx context.Context, c config, k *vm.Kernel) (bool, error) {
	switch c.accel {
	case "kvm":
		return true, nil
	case "tcg":
		return false, nil
	case "auto":
	default:
		return false, fmt.Errorf("-accel %q: want kvm, tcg or auto", c.accel)
	}
	ok, took, err := vm.ProbeKVM(ctx, k.Image, c.busybox, 5*time.Second)
	if err != nil {
		return false, fmt.Errorf("probe KVM: %w", err)
	}
	if ok {
		logf("KVM probe boot succeeded in %s: using KVM", took.Round(10*time.Millisecond))
	} else {
		logf("KVM probe boot failed or hung (%s): using TCG", took.Round(10*time.Millisecond))
	}
	return ok, nil
}

// Where things are in the guest.
const (
	guestBin    = "/usr/local/bin"
	guestTests  = "/tests"
	guestImages = "/images"
)

func buildInitramfs(path string, c config, k *vm.Kernel, mods *vm.Modules) error {
	bins := map[string]string{
		filepath.Join(c.bin, "husk"):       guestBin + "/husk",
		filepath.Join(c.bin, "huskrt"):     guestBin + "/huskrt",
		filepath.Join(c.bin, "husk-init"):  guestBin + "/husk-init",
		filepath.Join(c.bin, "tests.test"): guestTests + "/tests.test",
		c.busybox:                          vm.BusyboxPath,
	}
	for src := range bins {
		if err := vm.CheckStatic(src); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return vm.WriteInitramfs(path, func(r *vm.Initramfs) error {
		for src, dst := range bins {
			if err := r.CopyFile(dst, src); err != nil {
				return err
			}
		}
		for _, name := range splitList(c.images) {
			src := filepath.Join(c.imagesDir, name)
			if _, err := os.Stat(filepath.Join(src, "index.json")); err != nil {
				return fmt.Errorf("image %s: %w (set -images or HUSK_TEST_IMAGES)", name, err)
			}
			if err := r.CopyTree(guestImages+"/"+name, src); err != nil {
				return err
			}
		}
		modules, err := r.Modules(k, mods, splitList(c.modules)...)
		if err != nil {
			return err
		}
		init := vm.Init{
			Modules: modules,
			Cgroup2: true,
			Tmpfs:   []string{"/var/lib/husk", "/run"},
			// The guest boots quiet; during the suite its warnings
			// (an OOM kill's report, a watchdog's backtraces) reach
			// the log, every CPU's stack with a soft lockup.
			Sysctls: map[string]string{
				"kernel.printk":                       "5",
				"kernel.softlockup_all_cpu_backtrace": "1",
			},
			Env: []string{
				"HUSK_BIN=" + guestBin + "/husk",
				"HUSKRT_BIN=" + guestBin + "/huskrt",
				"HUSK_TEST_IMAGES=" + guestImages,
				// The guest has everything the suite needs: a skip
				// there means a broken test bed, so it fails.
				"CI=true",
			},
			Dir: guestTests,
			Args: []string{guestTests + "/tests.test", "-test.v", "-test.count=1",
				"-test.run=" + c.run, "-test.timeout=" + c.testTimeout.String()},
		}
		return r.File("init", 0o755, init.Script())
	})
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

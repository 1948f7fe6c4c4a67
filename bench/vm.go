package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"husk/vm"
)

// The guests' size: enough for the cloud kernel and a busybox initramfs
// copied into a tmpfs. The host pays for the pages the guest touches and
// for qemu itself (under TCG, its translated code too): the memory test
// measures that, not this.
const (
	vmMemoryMB = 256
	vmCPUs     = 1
)

// kvmProbeTimeout bounds the KVM probe: a guest boots in well under a
// second with KVM, and on a nested set-up where KVM hangs (DESIGN.md)
// this is what the probe costs.
const kvmProbeTimeout = 20 * time.Second

// guest is the prepared VM contender.
type guest struct {
	info        VMInfo
	kernelBytes int64
	initrdBytes int64
	machine     vm.Machine // runs busybox true and powers off
	idle        vm.Machine // prints idleMark, then sleeps
	idleMark    string
}

// prepareVM finds or downloads the kernel, builds the initramfs images
// and probes KVM.
func (e *env) prepareVM(ctx context.Context, cacheDir, rootfs string, logf func(string, ...any)) (*guest, error) {
	k, err := vm.DebianKernel(ctx, cacheDir, vm.DefaultKernelPackage, logf)
	if err != nil {
		return nil, err
	}
	busybox, err := staticBusybox(rootfs)
	if err != nil {
		return nil, err
	}
	g := &guest{idleMark: "husk-bench-idle-" + e.tag}
	initrd := filepath.Join(e.tmp, "vm-true.cpio")
	if err := writeGuestInitramfs(initrd, busybox, []string{"true"}); err != nil {
		return nil, fmt.Errorf("build the initramfs: %w", err)
	}
	idleInitrd := filepath.Join(e.tmp, "vm-idle.cpio")
	if err := writeGuestInitramfs(idleInitrd, busybox, []string{"sh", "-c", "echo " + g.idleMark + "; exec sleep 3600"}); err != nil {
		return nil, fmt.Errorf("build the initramfs: %w", err)
	}
	if g.kernelBytes, err = fileSize(k.Image); err != nil {
		return nil, err
	}
	if g.initrdBytes, err = fileSize(initrd); err != nil {
		return nil, err
	}

	logf("probing KVM (up to %s)", kvmProbeTimeout)
	kvm, took, err := vm.ProbeKVM(ctx, k.Image, busybox, kvmProbeTimeout)
	if err != nil {
		return nil, fmt.Errorf("probe KVM: %w", err)
	}
	g.info = VMInfo{Accel: "tcg", Kernel: k.Release, MemoryMB: vmMemoryMB, CPUs: vmCPUs}
	switch {
	case kvm:
		g.info.Accel = "kvm"
	case !canOpen("/dev/kvm"):
		g.info.KVMNote = "no usable /dev/kvm"
	default:
		g.info.KVMNote = fmt.Sprintf("/dev/kvm is there but a KVM guest did not boot (probe: %s)", took.Round(time.Millisecond))
	}
	g.machine = vm.Machine{Qemu: e.tools.Qemu, Kernel: k.Image, Initrd: initrd,
		MemoryMB: vmMemoryMB, CPUs: vmCPUs, KVM: kvm}
	g.idle = g.machine
	g.idle.Initrd = idleInitrd
	return g, nil
}

func writeGuestInitramfs(path, busybox string, args []string) error {
	return vm.WriteInitramfs(path, func(r *vm.Initramfs) error {
		if err := r.CopyFile(vm.BusyboxPath, busybox); err != nil {
			return err
		}
		return r.File("init", 0o755, vm.Init{Args: args}.Script())
	})
}

// staticBusybox returns a statically linked busybox for the guest, which
// has no libc: the image's own when it is static, else the host's
// (Debian's busybox-static).
func staticBusybox(rootfs string) (string, error) {
	candidates := []string{filepath.Join(rootfs, "bin", "busybox")}
	if p := lookPath("busybox"); p != "" {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if vm.CheckStatic(p) == nil {
			return p, nil
		}
	}
	return "", errors.New("no statically linked busybox for the guest: apt-get install busybox-static")
}

func (g *guest) contender(runs int) Contender {
	return Contender{
		Name: NameVM, Runs: runs, Timeout: 2 * time.Minute,
		Command: fmt.Sprintf("qemu -M microvm (%s), kernel + initramfs, /init runs busybox true and powers off", g.info.Accel),
		Run: func(ctx context.Context) error {
			res, err := g.machine.Run(ctx, nil)
			if err != nil {
				return err
			}
			if res.Code != 0 {
				return fmt.Errorf("the guest's true exited %d", res.Code)
			}
			return nil
		},
	}
}

// qemuComm is qemu-system-x86_64's command name in /proc, cut to the
// kernel's 15 characters.
const qemuComm = "qemu-system-x86"

// fleet starts idle guests. vm.Machine.Run keeps qemu to itself, so the
// guest's qemu is found as the benchmark's new child named qemu, and the
// guest is stopped by ending its Run's context, which kills that pid.
func (g *guest) fleet() Fleet {
	var mu sync.Mutex // Start calls are serial, but be safe with known
	return Fleet{Name: NameVM, Start: func(ctx context.Context, i int) (*Instance, error) {
		mu.Lock()
		defer mu.Unlock()
		known := childrenNamed(qemuComm)
		runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		ready := make(chan struct{})
		var once sync.Once
		console := func(_ time.Duration, line string) {
			if strings.Contains(line, g.idleMark) && !strings.Contains(line, vm.StageLine) {
				once.Do(func() { close(ready) })
			}
		}
		done := make(chan error, 1)
		go func() {
			_, err := g.idle.Run(runCtx, console)
			done <- err
		}()
		stop := func(context.Context) error {
			cancel()
			<-done
			return nil
		}
		select {
		case <-ready:
		case err := <-done:
			cancel()
			if err == nil {
				err = errors.New("the guest powered off")
			}
			return nil, fmt.Errorf("idle guest: %w", err)
		case <-time.After(2 * time.Minute):
			stop(ctx)
			return nil, errors.New("idle guest: not up after 2 minutes")
		case <-ctx.Done():
			stop(ctx)
			return nil, ctx.Err()
		}
		var pids []int
		for _, pid := range childrenNamed(qemuComm) {
			if !slices.Contains(known, pid) {
				pids = append(pids, pid)
			}
		}
		if len(pids) != 1 {
			stop(ctx)
			return nil, fmt.Errorf("idle guest: found %d new qemu processes, want 1", len(pids))
		}
		return &Instance{Roots: pids, Stop: stop}, nil
	}}
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func canOpen(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

package vm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Machine is a guest of qemu's microvm machine type with no devices but
// a serial console: a kernel and an initramfs, run in RAM. It has no network and
// no disk, so nothing the guest does reaches the host.
type Machine struct {
	Qemu     string   // the qemu binary; qemu-system-x86_64 when empty
	Kernel   string   // a bzImage
	Initrd   string   // a newc cpio archive, such as Initramfs writes
	MemoryMB int      // guest RAM; 1024 when 0
	CPUs     int      // guest CPUs; 2 when 0
	KVM      bool     // use KVM; else TCG, qemu's emulator (see ProbeKVM)
	Append   []string // more kernel command line parameters
}

// Result is how a guest's run went.
type Result struct {
	Code int // the exit status the guest reported
	// Boot is the time from qemu's start to the first line of the
	// guest's /init (the first line starting StageLine, which Init's
	// script prints as it starts); 0 when there was none.
	Boot time.Duration
	// Total is the time from qemu's start to the result line.
	Total time.Duration
}

// ErrNoResult is returned by Run when qemu exited without the guest
// printing its result line: a kernel panic, a failed /init.
var ErrNoResult = errors.New("the guest printed no result line")

// afterResult bounds the wait for qemu to exit once the guest reported:
// it is powering off, and a guest that does not is killed.
const afterResult = 10 * time.Second

// args returns qemu's command line for a boot with nonce.
func (m Machine) args(nonce string) []string {
	mem, cpus := m.MemoryMB, m.CPUs
	if mem == 0 {
		mem = 1024
	}
	if cpus == 0 {
		cpus = 2
	}
	accel := []string{"-accel", "tcg"}
	if m.KVM {
		accel = []string{"-accel", "kvm", "-cpu", "host"}
	}
	// microvm has no HPET and no ACPI PM timer, so the kernel can
	// calibrate its clocks against the PIT only, which under TCG is
	// unreliable: the calibration loops run too slowly, and when both
	// fail, boot hangs with no clock ticking. no_timer_check skips the
	// IO-APIC timer check (check_timer), which hangs likewise, and
	// tsc_early_khz skips the TSC calibration: under TCG the guest's TSC
	// is the host's, so its rate is known. edd=off spares the boot stub's
	// BIOS disk probe: there are no disks.
	cmdline := []string{"console=ttyS0", "quiet", "panic=-1", "no_timer_check", "edd=off"}
	if khz := hostTSCkHz(); !m.KVM && khz > 0 {
		cmdline = append(cmdline, "tsc_early_khz="+strconv.Itoa(khz))
	}
	cmdline = append(append(cmdline, nonceParam+"="+nonce), m.Append...)
	args := []string{"-M", "microvm", "-nodefaults", "-no-user-config", "-display", "none",
		"-serial", "stdio", "-no-reboot"}
	args = append(args, accel...)
	return append(args, "-m", strconv.Itoa(mem), "-smp", strconv.Itoa(cpus),
		"-kernel", m.Kernel, "-initrd", m.Initrd, "-append", strings.Join(cmdline, " "))
}

// Console receives each line the guest prints on its console, without
// the line end, with the time since qemu started.
type Console func(at time.Duration, line string)

// WriteTo returns a Console that copies lines to w.
func WriteTo(w io.Writer) Console {
	return func(_ time.Duration, line string) { fmt.Fprintln(w, line) }
}

// hostTSCkHz returns the host's TSC rate in kHz as /proc/cpuinfo gives
// it, or 0 when it cannot tell.
func hostTSCkHz() int {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return parseTSCkHz(string(data))
}

// parseTSCkHz reads the first CPU's "cpu MHz" from /proc/cpuinfo's text.
// That is the TSC's rate where the TSC ticks at a constant rate (the
// "constant_tsc" flag, which every x86 CPU of the last 15 years and every
// hypervisor's vCPU has) and the CPU runs at its base clock, or where
// the host is itself a virtual machine; on bare metal with frequency
// scaling it may be off, which only makes the guest's early delays
// inexact. 0 means unknown.
func parseTSCkHz(cpuinfo string) int {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != "cpu MHz" {
			continue
		}
		mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || mhz <= 0 {
			return 0
		}
		return int(mhz * 1000)
	}
	return 0
}

// Run boots the machine and hands its console, line by line, to console
// (which may be nil) until the guest prints its result line and powers
// off. It returns the result, or ErrNoResult when qemu exits without
// one. When ctx ends first, qemu is killed and ctx's error returned.
func (m Machine) Run(ctx context.Context, console Console) (*Result, error) {
	if console == nil {
		console = func(time.Duration, string) {}
	}
	qemu := m.Qemu
	if qemu == "" {
		qemu = "qemu-system-x86_64"
	}
	nonce := NewNonce()
	cmd := exec.Command(qemu, m.args(nonce)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", qemu, err)
	}

	var (
		mu       sync.Mutex
		res      Result
		reported bool
	)
	gotResult := make(chan struct{})
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		r := bufio.NewReader(stdout)
		booted := false
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				at := time.Since(start)
				line = strings.TrimRight(line, "\r\n")
				console(at, line)
				mu.Lock()
				if !booted && strings.HasPrefix(line, StageLine) {
					res.Boot, booted = at, true
				}
				if code, ok := ParseResult(line, nonce); ok && !reported {
					res.Code, res.Total, reported = code, at, true
					close(gotResult)
				}
				mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-scanned // Wait closes the pipe: read it to the end first
		exited <- cmd.Wait()
	}()

	var waitErr error
	select {
	case waitErr = <-exited:
	case <-gotResult:
		select {
		case waitErr = <-exited:
		case <-time.After(afterResult):
			cmd.Process.Kill()
			waitErr = <-exited
		}
	case <-ctx.Done():
		cmd.Process.Kill()
		<-exited
		return nil, fmt.Errorf("guest still running after %s: %w", time.Since(start).Round(time.Second), ctx.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	if !reported {
		if waitErr != nil || stderr.Len() > 0 {
			return nil, fmt.Errorf("%w: qemu: %v %s", ErrNoResult, waitErr, bytes.TrimSpace(stderr.Bytes()))
		}
		return nil, ErrNoResult
	}
	return &res, nil
}

// ProbeKVM reports whether a KVM guest boots here: it boots kernel with a
// small initramfs of busybox (a static binary on the host) whose /init
// runs true, as Run does with KVM set (-cpu host), and gives up after
// timeout. /dev/kvm being there proves nothing: on nested set-ups such as
// this project's machines, qemu aborts on the host CPU's MSRs, and with
// qemu's default CPU the guest hangs. It returns how long the probe took.
func ProbeKVM(ctx context.Context, kernel, busybox string, timeout time.Duration) (bool, time.Duration, error) {
	start := time.Now()
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false, time.Since(start), nil
	}
	f.Close()

	dir, err := os.MkdirTemp("", "husk-kvm-probe-")
	if err != nil {
		return false, 0, err
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "initramfs")
	if err := writeProbeInitramfs(initrd, busybox); err != nil {
		return false, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m := Machine{Kernel: kernel, Initrd: initrd, MemoryMB: 256, CPUs: 1, KVM: true}
	res, err := m.Run(ctx, nil)
	return err == nil && res.Code == 0, time.Since(start), nil
}

func writeProbeInitramfs(path, busybox string) error {
	return WriteInitramfs(path, func(r *Initramfs) error {
		if err := r.CopyFile(BusyboxPath, busybox); err != nil {
			return err
		}
		return r.File("init", 0o755, Init{Args: []string{"true"}}.Script())
	})
}

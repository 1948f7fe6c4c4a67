package vm

import (
	"strings"
	"testing"
)

func TestParseTSCkHz(t *testing.T) {
	cpuinfo := "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 2445.424\ncache size\t: 512 KB\n\n" +
		"processor\t: 1\ncpu MHz\t\t: 1200.000\n"
	if got := parseTSCkHz(cpuinfo); got != 2445424 {
		t.Errorf("got %d, want 2445424 (the first CPU's)", got)
	}
	for _, bad := range []string{"", "processor\t: 0\n", "cpu MHz\t: fast\n", "cpu MHz\t: -1\n"} {
		if got := parseTSCkHz(bad); got != 0 {
			t.Errorf("parseTSCkHz(%q) = %d, want 0", bad, got)
		}
	}
}

func TestMachineArgs(t *testing.T) {
	m := Machine{Kernel: "/k", Initrd: "/i", Append: []string{"extra=1"}}
	args := strings.Join(m.args("n0nce"), " ")
	for _, want := range []string{"-M microvm", "-nodefaults", "-serial stdio", "-no-reboot",
		"-accel tcg", "-m 1024", "-smp 2", "-kernel /k", "-initrd /i"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	cmdline := m.args("n0nce")[len(m.args("n0nce"))-1]
	for _, want := range []string{"console=ttyS0", "panic=-1", "no_timer_check", "husk.nonce=n0nce"} {
		if !strings.Contains(cmdline, want) {
			t.Errorf("kernel command line %q lacks %q", cmdline, want)
		}
	}
	if !strings.HasSuffix(cmdline, " extra=1") {
		t.Errorf("kernel command line %q does not end with Append", cmdline)
	}

	m = Machine{KVM: true, MemoryMB: 256, CPUs: 1}
	args = strings.Join(m.args("x"), " ")
	if !strings.Contains(args, "-accel kvm -cpu host") || !strings.Contains(args, "-m 256 -smp 1") ||
		strings.Contains(args, "tsc_early_khz") {
		t.Errorf("KVM args: %q", args)
	}
}

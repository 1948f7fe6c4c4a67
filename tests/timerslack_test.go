package tests

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestTimerSlack checks that husk runs with a coarse timer slack while its
// container and an exec'd process get the caller's own
// (internal/timerslack).
func TestTimerSlack(t *testing.T) {
	need(t)
	root := newRoot(t)
	// The caller's slack, set to the kernel's default whatever this
	// test inherited.
	const callers = "50000"
	script := `echo ` + callers + ` > /proc/$$/timerslack_ns; exec "$@"`

	cmd := exec.Command("sh", "-c", script, "sh", huskBin, "--root", root, "run", "--rm", "--network", "none",
		"busybox:musl", "sh", "-c", "cat /proc/self/timerslack_ns; sleep 10")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if got := strings.TrimSpace(string(buf[:n])); got != callers {
		t.Errorf("the container's timer slack is %q, want the caller's %s", got, callers)
	}
	husk, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/timerslack_ns")
	if got := strings.TrimSpace(string(husk)); got != "1000000" {
		t.Errorf("husk's timer slack while it runs a container is %q, want 1000000", got)
	}

	b := newBundle(t, "sleep", "100")
	b.write()
	b.must("run", "-d", "slack")
	r := exec.Command("sh", "-c", script, "sh", huskrtBin, "--root", b.root, "exec", "slack", "cat", "/proc/self/timerslack_ns")
	got, err := r.Output()
	if err != nil || strings.TrimSpace(string(got)) != callers {
		t.Errorf("huskrt exec: the process's timer slack is %q (%v), want %s", got, err, callers)
	}
}

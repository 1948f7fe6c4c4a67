package timerslack

import (
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadSlack is the timer slack of some thread of this process.
func threadSlack(t *testing.T) int {
	t.Helper()
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	s, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// allSlacks maps each thread of this process to its timer slack.
func allSlacks(t *testing.T) map[string]string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	slacks := map[string]string{}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + task.Name() + "/timerslack_ns")
		if err == nil {
			slacks[task.Name()] = strings.TrimSpace(string(b))
		}
	}
	if len(slacks) < 2 {
		t.Fatalf("read the slack of %d threads, want every thread's", len(slacks))
	}
	return slacks
}

// childSlack is the timer slack of a process started through start.
func childSlack(t *testing.T, start func(func() error) error) string {
	t.Helper()
	cmd := exec.Command("cat", "/proc/self/timerslack_ns")
	var out strings.Builder
	cmd.Stdout = &out
	if err := start(cmd.Start); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

func TestRelaxStartRestore(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("HUSK_TEST_ROOT") == "1" {
			t.Fatal("needs root (HUSK_TEST_ROOT=1 is set)")
		}
		t.Skip("needs root: setting another thread's timer slack wants CAP_SYS_NICE")
	}
	const callers = 50000
	setAll(callers) // whatever the test inherited
	t.Cleanup(Restore)

	Relax()
	for tid, got := range allSlacks(t) {
		if got != strconv.Itoa(Relaxed) {
			t.Errorf("thread %s's slack after Relax: %s, want %d", tid, got, Relaxed)
		}
	}
	if got := childSlack(t, Start); got != strconv.Itoa(callers) {
		t.Errorf("a process started through Start has slack %s, want the caller's %d", got, callers)
	}
	if got := threadSlack(t); got != Relaxed {
		t.Errorf("the starting thread's slack after Start: %d, want %d again", got, Relaxed)
	}

	Restore()
	for tid, got := range allSlacks(t) {
		if got != strconv.Itoa(callers) {
			t.Errorf("thread %s's slack after Restore: %s, want %d", tid, got, callers)
		}
	}
	plain := func(start func() error) error { return start() }
	if got := childSlack(t, plain); got != strconv.Itoa(callers) {
		t.Errorf("a process started after Restore has slack %s, want %d", got, callers)
	}
}

package seccomp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The kernel tests load filters only into children: the test binary
// re-executed with childEnv naming a case of childCases. The child locks
// its thread, sets no_new_privs (so no privilege is needed), loads the
// case's profile and runs the case, which prints what it saw. A filter
// can never be removed, so it dies with the child.

// childEnv names the case a re-executed test binary runs.
const childEnv = "HUSK_SECCOMP_TEST_CHILD"

// dirEnv names a scratch directory the child may write to.
const dirEnv = "HUSK_SECCOMP_TEST_DIR"

// busybox is Debian's busybox-static: a static binary, so a tight allow
// list is enough to run it.
const busybox = "/usr/bin/busybox"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(childMain(name))
	}
	os.Exit(m.Run())
}

// childCase is what one child loads and then does: run, on the filtered
// thread, or manual, which loads p itself.
type childCase struct {
	profile func() *specs.LinuxSeccomp
	run     func(dir string) int
	manual  func(p *Program, dir string) int
}

// childMain is the child's whole life. Exit codes 3 and 4 mean the filter
// could not be compiled or loaded; the message is on stdout.
func childMain(name string) int {
	c, ok := childCases[name]
	if !ok {
		fmt.Printf("no child case %q\n", name)
		return 3
	}
	runtime.LockOSThread()
	// A SIGSYS kill would dump core; these cases die on purpose.
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Printf("load: no_new_privs: %v\n", err)
		return 4
	}
	p, err := Compile(c.profile())
	if err != nil {
		fmt.Printf("compile: %v\n", err)
		return 3
	}
	if c.manual != nil {
		return c.manual(p, os.Getenv(dirEnv))
	}
	if err := p.Load(); err != nil {
		fmt.Printf("load: %v\n", err)
		return 4
	}
	return c.run(os.Getenv(dirEnv))
}

// runChild runs case name and returns its output and exit state.
func runChild(t *testing.T, name string) (string, *os.ProcessState, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("kernel tests re-exec the test binary; skipped in -short mode")
	}
	if !seccompFilterAvailable() {
		t.Skip("kernel has no seccomp filter mode (CONFIG_SECCOMP_FILTER)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name, dirEnv+"="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run child %s: %v", name, err)
	}
	if code := cmd.ProcessState.ExitCode(); code == 3 || code == 4 {
		t.Fatalf("child %s could not set up its filter:\n%s", name, out.String())
	}
	return out.String(), cmd.ProcessState, dir
}

func seccompFilterAvailable() bool {
	// With a NULL program, a kernel that has filter mode fails on the
	// pointer (EFAULT) rather than on the mode (EINVAL) or at all (ENOSYS).
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, 0)
	return errno == unix.EFAULT
}

// signaled reports whether st ended by signal sig.
func signaled(st *os.ProcessState, sig syscall.Signal) bool {
	ws, ok := st.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

func allowBy(errnoRet uint, action specs.LinuxSeccompAction, names ...string) specs.LinuxSyscall {
	sc := specs.LinuxSyscall{Names: names, Action: action}
	if action == specs.ActErrno {
		sc.ErrnoRet = &errnoRet
	}
	return sc
}

func TestKernelErrno(t *testing.T) {
	out, st, dir := runChild(t, "errno")
	if !st.Success() || strings.TrimSpace(out) != "mkdir=13 getpid=ok" {
		t.Fatalf("child exited %v, printed %q; want mkdir=13 getpid=ok", st, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("the denied mkdir created its directory")
	}
}

func TestKernelArgs(t *testing.T) {
	out, st, _ := runChild(t, "args")
	if want := "query=0 linux32=1 high=1"; !st.Success() || strings.TrimSpace(out) != want {
		t.Fatalf("child exited %v, printed %q; want %q", st, out, want)
	}
}

func TestKernelKillProcess(t *testing.T) {
	out, st, _ := runChild(t, "kill")
	if !signaled(st, unix.SIGSYS) || strings.TrimSpace(out) != "loaded" {
		t.Fatalf("child exited %v, printed %q; want death by SIGSYS after \"loaded\"", st, out)
	}
}

func TestKernelLog(t *testing.T) {
	out, st, _ := runChild(t, "log")
	if !st.Success() || strings.TrimSpace(out) != "getppid=ok" {
		t.Fatalf("child exited %v, printed %q; want getppid=ok", st, out)
	}
}

func TestKernelThreads(t *testing.T) {
	// Without TSYNC a filter covers only the thread that loads it.
	out, st, _ := runChild(t, "thread")
	if !st.Success() || strings.TrimSpace(out) != "self=13 other=0" {
		t.Fatalf("child exited %v, printed %q; want self=13 other=0", st, out)
	}
	out, st, _ = runChild(t, "tsync")
	if !st.Success() || strings.TrimSpace(out) != "self=13 other=13" {
		t.Fatalf("TSYNC child exited %v, printed %q; want self=13 other=13", st, out)
	}
}

func TestKernelX32(t *testing.T) {
	out, st, _ := runChild(t, "x32")
	// x32 getppid is allowed: a kernel without x32 support then says ENOSYS.
	if !st.Success() || !strings.HasPrefix(strings.TrimSpace(out), "getpid=77 getppid=") {
		t.Fatalf("child exited %v, printed %q; want getpid=77", st, out)
	}
	out, st, _ = runChild(t, "x32-unlisted")
	if !signaled(st, unix.SIGSYS) || strings.TrimSpace(out) != "loaded" {
		t.Fatalf("child exited %v, printed %q; want death by SIGSYS", st, out)
	}
}

func TestKernelBadFlags(t *testing.T) {
	out, _, _ := runChild(t, "badflags")
	if !strings.Contains(out, "load error:") || !strings.Contains(out, "0x40") {
		t.Fatalf("loading with an undefined flag printed %q, want an error naming the flags", out)
	}
}

func needBusybox(t *testing.T) {
	if _, err := os.Stat(busybox); err != nil {
		t.Skipf("%s missing (Debian's busybox-static): %v", busybox, err)
	}
}

func TestKernelAllowListExec(t *testing.T) {
	needBusybox(t)
	out, st, _ := runChild(t, "allowlist-true")
	if !st.Success() {
		t.Fatalf("busybox true under an allow list: %v, output %q", st, out)
	}
	out, st, dir := runChild(t, "allowlist-mkdir")
	if st.Success() || !strings.Contains(out, "Operation not permitted") {
		t.Fatalf("busybox mkdir under an allow list without mkdir: %v, output %q", st, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); err == nil {
		t.Error("busybox mkdir created its directory through the filter")
	}
}

func TestKernelDefaultProfile(t *testing.T) {
	needBusybox(t)
	out, st, _ := runChild(t, "default-profile")
	if !st.Success() {
		t.Fatalf("busybox sh under DefaultProfile: %v, output %q", st, out)
	}
	for _, want := range []string{"ok\n", "linux32\n", "unshare denied\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	// unshare is denied by the filter only if it works without one.
	ctl, err := exec.Command(busybox, "sh", "-c", defaultScript).CombinedOutput()
	if err != nil || !strings.Contains(string(ctl), "unshare allowed") {
		t.Logf("without a filter the script printed %q (%v): unshare is not "+
			"available here, so its denial proves nothing", ctl, err)
	}
}

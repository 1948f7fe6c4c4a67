package tests

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var (
	huskBin    string // the husk binary under test
	huskrtBin  string // the huskrt binary under test
	imagesDir  string // the public image layouts
	sharedRoot string // a store with the public images imported once
	setupErr   string // why the suite cannot run, when it cannot
)

func TestMain(m *testing.M) {
	if code, ok := inOwnNetns(); ok {
		os.Exit(code)
	}
	code := func() int {
		tmp, err := os.MkdirTemp("", "husk-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		setup(tmp)
		return m.Run()
	}()
	os.Exit(code)
}

// setup builds the binaries and imports the images once for every test.
func setup(tmp string) {
	if os.Geteuid() != 0 {
		setupErr = "end-to-end tests need root"
		return
	}

	var built []string
	huskBin = os.Getenv("HUSK_BIN")
	if huskBin == "" {
		huskBin = filepath.Join(tmp, "husk")
		built = append(built, huskBin)
		for _, cmd := range []string{"husk", "husk-bench"} {
			if out, err := goBuild(filepath.Join(tmp, cmd), "../cmd/"+cmd); err != nil {
				setupErr = fmt.Sprintf("build %s: %v\n%s", cmd, err, out)
				return
			}
		}
	}

	huskrtBin = os.Getenv("HUSKRT_BIN")
	if huskrtBin == "" {
		huskrtBin = filepath.Join(tmp, "huskrt")
		built = append(built, huskrtBin)
		out, err := goBuild(huskrtBin, "../cmd/huskrt")
		if err != nil {
			setupErr = fmt.Sprintf("build huskrt: %v\n%s", err, out)
			return
		}
	}
	// Binaries built here need their C init beside them, as make puts it.
	for _, bin := range built {
		initBin := filepath.Join(filepath.Dir(bin), "husk-init")
		if _, err := os.Stat(initBin); err == nil {
			continue
		}
		srcs, _ := filepath.Glob("../cmd/husk-init/*.c")
		out, err := exec.Command("musl-gcc", append([]string{"-static", "-O2", "-o", initBin}, srcs...)...).CombinedOutput()
		if err != nil {
			setupErr = fmt.Sprintf("build husk-init (musl-gcc, from musl-tools): %v\n%s", err, out)
			return
		}
	}

	imagesDir = os.Getenv("HUSK_TEST_IMAGES")
	if imagesDir == "" {
		imagesDir, _ = filepath.Abs("../../shared/images")
	}
	if _, err := os.Stat(filepath.Join(imagesDir, "busybox-1.38-musl", "index.json")); err != nil {
		setupErr = fmt.Sprintf("test images not found in %s (set HUSK_TEST_IMAGES)", imagesDir)
		return
	}

	sharedRoot = filepath.Join(tmp, "root")
	for name, dir := range publicImages {
		r := runHusk(sharedRoot, nil, "image", "import", filepath.Join(imagesDir, dir), name)
		if r.code != 0 {
			setupErr = fmt.Sprintf("import %s: %s", dir, r.stderr)
			return
		}
	}
}

// goBuild builds a static binary, as make does: the Go init is exec'd
// after joining a container's mount namespace, where a dynamic binary's
// loader is not.
func goBuild(out, pkg string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-tags", "osusergo,netgo", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd.CombinedOutput()
}

// publicImages maps the names the tests use to the layouts in shared/.
var publicImages = map[string]string{
	"busybox:musl":  "busybox-1.38-musl",
	"busybox:glibc": "busybox-1.38-glibc",
	"alpine:3.20.3": "alpine-3.20.3",
}

// need skips the test when the suite could not be set up.
func need(t *testing.T) {
	t.Helper()
	if setupErr != "" {
		skip(t, setupErr)
	}
}

// skip skips the test with the reason, except in CI (CI=true), which
// provides everything the suite needs: there a skip is a failure, so a
// missing install step cannot pass as green.
func skip(t *testing.T, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(append([]any{"CI must not skip:"}, args...)...)
	}
	t.Skip(args...)
}

func skipf(t *testing.T, format string, args ...any) {
	t.Helper()
	skip(t, fmt.Sprintf(format, args...))
}

type result struct {
	stdout, stderr string
	code           int
}

// runHusk runs husk with --root root and returns what it printed and
// its exit status.
func runHusk(root string, stdin []byte, args ...string) result {
	cmd := exec.Command(huskBin, append([]string{"--root", root}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
		errb.WriteString(err.Error())
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// husk runs husk on the shared store.
func husk(t *testing.T, args ...string) result {
	t.Helper()
	return runHusk(sharedRoot, nil, args...)
}

// mustRun runs `husk run --rm ARGS` and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := husk(t, append([]string{"run", "--rm"}, args...)...)
	if r.code != 0 {
		t.Fatalf("husk run %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// newRoot gives a test a store of its own, with busybox:musl imported.
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	r := runHusk(root, nil, "image", "import", filepath.Join(imagesDir, "busybox-1.38-musl"), "busybox:musl")
	if r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	// Whatever a failed test left running goes before the dir does, its
	// cgroups with it (cleanups run last first).
	t.Cleanup(func() {
		ids := strings.Fields(runHusk(root, nil, "ps", "-aq").stdout)
		if len(ids) > 0 {
			runHusk(root, nil, append([]string{"rm", "-f"}, ids...)...)
		}
	})
	return root
}

// assertClean checks that nothing of root's containers is left on the
// host: no mounts under it, no state dirs, no container dirs.
func assertClean(t *testing.T, root string) {
	t.Helper()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mi), root) {
		t.Errorf("mounts left under %s:\n%s", root, grepLines(string(mi), root))
	}
	for _, sub := range []string{"run", "containers"} {
		entries, _ := os.ReadDir(filepath.Join(root, sub))
		for _, e := range entries {
			if e.IsDir() {
				t.Errorf("left behind: %s", filepath.Join(root, sub, e.Name()))
			}
		}
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// waitFor polls cond for up to limit.
func waitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// envNetns marks the copy of the test binary that runs in its own network
// namespace.
const envNetns = "HUSK_E2E_NETNS"

// inOwnNetns runs the whole suite again in a new network namespace, as
// root, and returns its exit status: husk's bridges, veths and nftables
// rules then live and die there, and the machine's own network is never
// touched. It returns false in that copy, or when not root.
func inOwnNetns() (int, bool) {
	if os.Getenv(envNetns) != "" {
		if err := loopbackUp(); err != nil {
			fmt.Fprintln(os.Stderr, "bring up lo:", err)
			return 1, true
		}
		return 0, false
	}
	if os.Geteuid() != 0 {
		return 0, false
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envNetns+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), true
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "run the suite in a network namespace:", err)
		return 1, true
	}
	return 0, true
}

func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr)
}

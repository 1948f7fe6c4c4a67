package tests

// Helpers shared by the tests that drive an OCI runtime (huskrt, or runc to
// check our expectations) through real callers: containerd's runc shim
// (containerd_test.go) and podman (podman_test.go).
//
// Both callers run in a private mount namespace of ours in which the host
// directories they insist on writing (/run/containerd/s for the shim's
// sockets, /run/runc for the runtime's default state, podman's blob cache in
// /var/lib/containers) are empty tmpfs mounts: the host keeps neither files
// nor mounts from a run, and whatever a caller or the runtime leaves behind
// is still visible to the checks in that namespace before it goes away.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

// ociCmdTimeout bounds every command of a caller, so that a hung runtime
// fails one test instead of the whole run.
const ociCmdTimeout = 60 * time.Second

// ociRuntime returns the absolute path of the OCI runtime under test.
// HUSK_OCI_RUNTIME names it (a command in PATH such as "runc", or a path);
// unset, it is the huskrt the harness built (or HUSKRT_BIN).
func ociRuntime(t *testing.T) string {
	t.Helper()
	if name := os.Getenv("HUSK_OCI_RUNTIME"); name != "" {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("HUSK_OCI_RUNTIME=%s: %v", name, err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	need(t)
	return huskrtBin
}

// ociImages returns the directory of the public image layouts: the one the
// harness found, else HUSK_TEST_IMAGES or ../../shared/images. It skips the
// test when the layouts are not there.
func ociImages(t *testing.T) string {
	t.Helper()
	dir := imagesDir
	if dir == "" {
		dir = os.Getenv("HUSK_TEST_IMAGES")
	}
	if dir == "" {
		dir, _ = filepath.Abs("../../shared/images")
	}
	for _, layout := range []string{"busybox-1.38-musl", "alpine-3.20.3"} {
		if _, err := os.Stat(filepath.Join(dir, layout, "index.json")); err != nil {
			skipf(t, "test images not found in %s (set HUSK_TEST_IMAGES)", dir)
		}
	}
	return dir
}

// ociNeed skips the test unless it runs as root and every named program is
// installed; hint tells the reader how to install them.
func ociNeed(t *testing.T, hint string, programs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		skip(t, "needs root")
	}
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			skipf(t, "%s not installed (%s)", p, hint)
		}
	}
}

// ociTestID returns a name unique to this test run, for the cgroups and
// namespaces the callers create, so that cleanup can find them by name.
func ociTestID(prefix string) string {
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", prefix, os.Getpid(), hex.EncodeToString(b))
}

// ociRun runs cmd to completion (or ociCmdTimeout) and returns what it
// printed and its exit status; stdin may be nil.
func ociRun(cmd *exec.Cmd, stdin io.Reader) result {
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	// A daemon that inherits the pipes must not keep Wait from returning.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
		fmt.Fprintf(&errb, "\n%v", err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// ociRunOnPty runs cmd with a new pty as its stdio and controlling terminal,
// as from an interactive shell, and returns what the terminal showed and the
// exit status.
func ociRunOnPty(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	master, slave := openPty(t)
	defer master.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		slave.Close()
		t.Fatal(err)
	}
	slave.Close()

	out := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(master) // EIO once the last slave fd is closed
		out <- string(b)
	}()
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	select {
	case text := <-out:
		return text, code
	case <-time.After(5 * time.Second):
		master.Close()
		return <-out, code
	}
}

// ociMountNS is a private mount namespace held open by a process of ours,
// in which some host directories are covered by empty tmpfs mounts.
type ociMountNS struct {
	holder *exec.Cmd
	stdin  io.WriteCloser
}

// newOCIMountNS creates the namespace with an empty tmpfs on each of hide.
// The caller must call close once nothing runs in it any more; the holder
// also exits when this test process dies, because its stdin closes.
func newOCIMountNS(t *testing.T, hide ...string) *ociMountNS {
	t.Helper()
	script := "set -e\n"
	for _, dir := range hide {
		script += "mount -t tmpfs -o mode=0755 husk-e2e " + dir + "\n"
	}
	script += "echo ready\nexec cat >/dev/null\n"
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mount namespace: %v", err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("set up mount namespace (tmpfs on %v): %s", hide, errb.String())
	}
	return &ociMountNS{holder: cmd, stdin: stdin}
}

// command returns a command that runs name in the namespace. Its working
// directory is / there, so every path it is given must be absolute.
func (ns *ociMountNS) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	mnt := fmt.Sprintf("--mount=/proc/%d/ns/mnt", ns.holder.Process.Pid)
	return exec.CommandContext(ctx, "nsenter", append([]string{mnt, "--", name}, args...)...)
}

// mountsUnder returns the namespace's mountinfo lines that name dir.
func (ns *ociMountNS) mountsUnder(dir string) []string {
	return ociMountsUnder(fmt.Sprintf("/proc/%d/mountinfo", ns.holder.Process.Pid), dir)
}

// runtimeContainers lists the containers the runtime still knows in the
// namespace (`RUNTIME [--root ROOT] list -q`, as runc has it); root "" is
// the runtime's default.
func (ns *ociMountNS) runtimeContainers(t *testing.T, runtime, root string) []string {
	t.Helper()
	var args []string
	if root != "" {
		args = append(args, "--root", root)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
	defer cancel()
	r := ociRun(ns.command(ctx, runtime, append(args, "list", "-q")...), nil)
	if r.code != 0 {
		t.Errorf("%s list: exit %d: %s", runtime, r.code, r.stderr)
		return nil
	}
	return strings.Fields(r.stdout)
}

// close lets the holder exit and waits for it.
func (ns *ociMountNS) close() {
	ns.stdin.Close()
	done := make(chan struct{})
	go func() { ns.holder.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		ns.holder.Process.Kill()
		<-done
	}
}

// ociMountsUnder returns the lines of a mountinfo file whose mount point or
// source is dir or below it.
func ociMountsUnder(mountinfo, dir string) []string {
	data, err := os.ReadFile(mountinfo)
	if err != nil {
		return []string{err.Error()}
	}
	var found []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, dir+"/") || strings.Contains(line, dir+" ") {
			found = append(found, line)
		}
	}
	return found
}

// ociProc is a process found on the host.
type ociProc struct {
	pid     int
	cmdline string
}

// ociStrayProcs lists the processes other than this one whose command line
// names dir or which sit in a cgroup with the path component cgroup: the
// daemons, shims, conmons and container processes of one test run.
func ociStrayProcs(dir, cgroup string) []ociProc {
	entries, _ := os.ReadDir("/proc")
	var found []ociProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !processExists(pid) {
			continue
		}
		raw, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cmdline := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
		cgroups, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		inCgroup := strings.Contains(string(cgroups), "/"+cgroup+"/") ||
			strings.Contains(string(cgroups), "/"+cgroup+"\n")
		if strings.Contains(cmdline, dir) || inCgroup {
			found = append(found, ociProc{pid: pid, cmdline: cmdline})
		}
	}
	return found
}

// ociReapStrays waits for the processes of a test run to exit, and kills by
// pid, with an error, those still there after the wait.
func ociReapStrays(t *testing.T, dir, cgroup string) {
	t.Helper()
	if waitFor(10*time.Second, func() bool { return len(ociStrayProcs(dir, cgroup)) == 0 }) {
		return
	}
	for _, p := range ociStrayProcs(dir, cgroup) {
		t.Errorf("process left behind, killing it: pid %d: %s", p.pid, p.cmdline)
		unix.Kill(p.pid, unix.SIGKILL)
	}
}

// ociRemoveCgroups removes the cgroup directory name, with everything below
// it, from every cgroup hierarchy mounted on the host. Each directory must be
// empty of processes by then; one that is not is an error.
func ociRemoveCgroups(t *testing.T, name string) {
	t.Helper()
	for _, mnt := range ociCgroupMounts() {
		top := filepath.Join(mnt, name)
		if _, err := os.Stat(top); err != nil {
			continue
		}
		var dirs []string
		filepath.WalkDir(top, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := unix.Rmdir(dirs[i]); err != nil && !errors.Is(err, unix.ENOENT) {
				t.Errorf("remove cgroup %q: %v", dirs[i], err)
			}
		}
	}
}

// ociCgroupMounts returns the mount points of the host's cgroup v1 and v2
// hierarchies.
func ociCgroupMounts() []string {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for _, line := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		fields := strings.Fields(pre)
		if !ok || len(fields) < 5 {
			continue
		}
		if fstype := strings.Fields(post)[0]; fstype == "cgroup" || fstype == "cgroup2" {
			mounts = append(mounts, fields[4])
		}
	}
	return mounts
}

// ociCounterScript is the payload of the pause tests: it writes an ever
// growing count to /tmp/count, and exits 42 on SIGTERM.
const ociCounterScript = `trap 'exit 42' TERM
i=0
while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done`

// ociExecProbe is what tests exec in a running counter: it prints
// from-exec once the counter has written its file (a container that
// starts fast may be exec'd into before its first write) and exits 7.
const ociExecProbe = `for i in $(seq 100); do test -s /tmp/count && break; sleep 0.05; done
if test -s /tmp/count; then echo from-exec; else echo "no count: $(ls -A /tmp) $(head -1 /proc/self/mountinfo)"; fi
exit 7`

// ociCounter reads the payload's count through the root of its process,
// seen from the host; -1 while the file is not there yet.
func ociCounter(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/tmp/count", pid))
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return -1 // caught between the truncate and the write
	}
	return n
}

// ociCheckFrozen checks that the payload of pid counts, then, after pause,
// stops counting, then counts again after resume.
func ociCheckFrozen(t *testing.T, pid int, pause, resume func()) {
	t.Helper()
	if !waitFor(10*time.Second, func() bool { return ociCounter(pid) > 0 }) {
		t.Fatalf("the counter of pid %d never started", pid)
	}
	before := ociCounter(pid)
	pause()
	frozen := ociCounter(pid)
	// The one fixed wait of these tests: to see that nothing happens takes
	// time. The payload counts every 50 ms, so it would count six times here.
	time.Sleep(300 * time.Millisecond)
	if now := ociCounter(pid); now != frozen {
		t.Errorf("paused container kept counting: %d, then %d", frozen, now)
	}
	resume()
	last := max(before, frozen) // frozen is -1 if paused amid a write
	if !waitFor(10*time.Second, func() bool { return ociCounter(pid) > last }) {
		t.Errorf("resumed container does not count any more: stuck at %d", last)
	}
}

// ociOnlyLoopback checks the output of `cat /proc/net/dev` in a container
// with no network: its own namespace with only lo.
func ociOnlyLoopback(t *testing.T, netdev string) {
	t.Helper()
	var ifaces []string
	for _, line := range strings.Split(netdev, "\n") {
		if name, _, ok := strings.Cut(line, ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if len(ifaces) != 1 || ifaces[0] != "lo" {
		t.Errorf("interfaces %v, want only lo:\n%s", ifaces, netdev)
	}
}

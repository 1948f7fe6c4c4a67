package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestEchoHello(t *testing.T) {
	need(t)
	for _, img := range []string{"busybox:musl", "busybox:glibc"} {
		t.Run(img, func(t *testing.T) {
			if got := mustRun(t, img, "echo", "hello"); got != "hello\n" {
				t.Fatalf("output %q, want %q", got, "hello\n")
			}
		})
	}
}

func TestAlpineOSRelease(t *testing.T) {
	need(t)
	out := mustRun(t, "alpine:3.20.3", "cat", "/etc/os-release")
	if !strings.Contains(out, "Alpine Linux") || !strings.Contains(out, "VERSION_ID=3.20.3") {
		t.Fatalf("/etc/os-release does not name Alpine 3.20.3:\n%s", out)
	}
}

func TestExitStatus(t *testing.T) {
	need(t)
	r := husk(t, "run", "--rm", "busybox:musl", "sh", "-c", "exit 42")
	if r.code != 42 {
		t.Fatalf("exit %d, want 42 (stderr %q)", r.code, r.stderr)
	}
}

func TestCommandNotFound(t *testing.T) {
	need(t)
	r := husk(t, "run", "--rm", "busybox:musl", "no-such-command")
	if r.code != 127 || !strings.Contains(r.stderr, "no-such-command") {
		t.Fatalf("exit %d, stderr %q; want 127 naming the command", r.code, r.stderr)
	}
}

func TestUnknownImage(t *testing.T) {
	need(t)
	r := husk(t, "run", "--rm", "no-such-image:1", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "no-such-image") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want 125 and one line naming the image", r.code, r.stderr)
	}
	r = husk(t, "run", "--rm", "Bad//Name", "true")
	if r.code != 125 || !strings.Contains(r.stderr, `"Bad//Name": invalid name`) || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want 125 and one line saying the name is invalid", r.code, r.stderr)
	}
}

// TestFlags checks that one-letter flags combine (ps -aq), and that an
// unknown flag is named as it was typed, in one line, with exit 125.
func TestFlags(t *testing.T) {
	need(t)
	if r := husk(t, "ps", "-aq"); r.code != 0 {
		t.Errorf("husk ps -aq: exit %d, stderr %q", r.code, r.stderr)
	}
	for flag, want := range map[string]string{
		"-zq": "husk ps: unknown flag -zq", "--zq": "husk ps: unknown flag --zq",
	} {
		r := husk(t, "ps", flag)
		if r.code != 125 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("husk ps %s: exit %d, stderr %q; want 125 and one line starting %q", flag, r.code, r.stderr, want)
		}
	}
}

func TestPidOne(t *testing.T) {
	need(t)
	if got := mustRun(t, "busybox:musl", "sh", "-c", "echo $$"); got != "1\n" {
		t.Fatalf("the command's pid is %q, want 1", got)
	}
}

func TestHostname(t *testing.T) {
	need(t)
	if got := mustRun(t, "--hostname", "box1", "busybox:musl", "hostname"); got != "box1\n" {
		t.Fatalf("hostname %q, want box1", got)
	}
	// On the host's network the container has the host's name, as in
	// Docker; otherwise its short id.
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, "--network", "host", "busybox:musl", "hostname"); got != host+"\n" {
		t.Fatalf("--network host: hostname %q, want the host's %q", got, host)
	}
	if got := mustRun(t, "--network", "none", "busybox:musl", "hostname"); len(got) != 13 {
		t.Fatalf("--network none: hostname %q, want a 12-digit short id", got)
	}
}

func TestEnvAndWorkdir(t *testing.T) {
	need(t)
	t.Setenv("HUSK_PASSED", "from-host")
	got := mustRun(t, "-e", "FOO=bar", "-e", "HUSK_PASSED", "-w", "/tmp/new/dir", "busybox:musl",
		"sh", "-c", `echo "$FOO $HUSK_PASSED $HOME"; pwd; echo $PATH`)
	want := "bar from-host /root\n/tmp/new/dir\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	if got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}

func TestUser(t *testing.T) {
	need(t)
	tests := []struct{ user, want string }{
		{"nobody", "65534 65534"},
		{"65534", "65534 65534"},
		{"1000:1000", "1000 1000"},
		{"nobody:bin", "65534 2"},
		{"65534:sys", "65534 3"},
		{"root", "0 0"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			got := mustRun(t, "-u", tt.user, "busybox:musl", "sh", "-c", "echo $(id -u) $(id -g)")
			if strings.TrimSpace(got) != tt.want {
				t.Fatalf("-u %s runs as %q, want %q", tt.user, strings.TrimSpace(got), tt.want)
			}
		})
	}

	r := husk(t, "run", "--rm", "-u", "nosuchuser", "busybox:musl", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "nosuchuser") {
		t.Fatalf("unknown user: exit %d, stderr %q; want a failure naming the user", r.code, r.stderr)
	}
}

func TestSupplementaryGroups(t *testing.T) {
	need(t)
	// Alpine's /etc/group lists root in several groups (wheel, ...), by
	// default as with -u root.
	for _, args := range [][]string{{"alpine:3.20.3"}, {"-u", "root", "alpine:3.20.3"}} {
		got := mustRun(t, append(args, "id", "-G")...)
		if f := strings.Fields(got); len(f) < 2 || f[0] != "0" {
			t.Fatalf("%v: root has groups %q, want 0 then its supplementary groups", args, got)
		}
	}
}

func TestStdinPiped(t *testing.T) {
	need(t)
	r := runHusk(sharedRoot, []byte("through the pipe\n"), "run", "--rm", "-i", "busybox:musl", "cat")
	if r.code != 0 || r.stdout != "through the pipe\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Without -i the container gets no stdin.
	r = runHusk(sharedRoot, []byte("not for you\n"), "run", "--rm", "busybox:musl", "cat")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("without -i: exit %d, stdout %q", r.code, r.stdout)
	}
}

// startHusk starts `husk run` in the background and waits until the
// container's command is running (it prints "ready").
func startHusk(t *testing.T, root string, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(huskBin, append([]string{"--root", root, "run"}, args...)...)
	out := &strings.Builder{}
	pr, pw, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = pw, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A test that fails before it ends the run must not leave it behind.
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	pw.Close()
	buf := make([]byte, 6)
	if _, err := pr.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("container did not get ready: %q %v, stderr %s", buf, err, out)
	}
	go func() { copyInto(out, pr) }()
	return cmd, out
}

func copyInto(dst *strings.Builder, src *os.File) {
	b := make([]byte, 512)
	for {
		n, err := src.Read(b)
		dst.Write(b[:n])
		if err != nil {
			return
		}
	}
}

func exitOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("husk did not exit within 10s")
	}
	return cmd.ProcessState.ExitCode()
}

func TestSignalKillsByDefault(t *testing.T) {
	need(t)
	root := newRoot(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, _ := startHusk(t, root, "--rm", "busybox:musl", "sh", "-c", "echo ready; exec sleep 100")
			// "ready" comes from the shell, which as pid 1 catches SIGINT:
			// signal only once sleep has replaced it.
			waitExec(t, containerPid(t, root), "sleep")
			cmd.Process.Signal(sig)
			if got, want := exitOf(t, cmd), 128+int(sig); got != want {
				t.Fatalf("exit %d after %v, want %d", got, sig, want)
			}
		})
	}
	assertClean(t, root)
}

func TestSignalReachesHandler(t *testing.T) {
	need(t)
	root := newRoot(t)
	cmd, out := startHusk(t, root, "--rm", "busybox:musl", "sh", "-c",
		`trap 'echo got-usr1' USR1; trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Process.Signal(syscall.SIGUSR1)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if got := exitOf(t, cmd); got != 7 {
		t.Fatalf("exit %d, want 7 from the TERM trap; output %q", got, out)
	}
	if !strings.Contains(out.String(), "got-usr1") || !strings.Contains(out.String(), "got-term") {
		t.Fatalf("the handlers did not run: %q", out)
	}
	assertClean(t, root)
}

func TestKilledBySignalInside(t *testing.T) {
	need(t)
	// A child of pid 1 killed by SIGTERM; pid 1 re-raises nothing, the
	// shell reports 143 as the shell convention says.
	r := husk(t, "run", "--rm", "busybox:musl", "sh", "-c", "sleep 100 & kill -TERM $!; wait $!")
	if r.code != 143 {
		t.Fatalf("exit %d, want 143", r.code)
	}
}

func TestContainerStaysUntilRm(t *testing.T) {
	need(t)
	root := newRoot(t)
	r := runHusk(root, nil, "run", "--name", "keeper", "busybox:musl", "sh", "-c", "echo data > /kept; exit 3")
	if r.code != 3 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	ps := runHusk(root, nil, "ps", "-a")
	if !strings.Contains(ps.stdout, "keeper") || !strings.Contains(ps.stdout, "Exited (3)") {
		t.Fatalf("husk ps -a does not show the stopped container:\n%s", ps.stdout)
	}
	if r := runHusk(root, nil, "run", "--name", "keeper", "busybox:musl", "true"); r.code != 125 ||
		!strings.Contains(r.stderr, `"keeper" is already in use`) {
		t.Fatalf("a second container named keeper: exit %d, %q", r.code, r.stderr)
	}
	if r := runHusk(root, nil, "rm", "keeper"); r.code != 0 {
		t.Fatalf("husk rm: %d %s", r.code, r.stderr)
	}
	if r := runHusk(root, nil, "rm", "keeper"); r.code == 0 || !strings.Contains(r.stderr, "keeper") {
		t.Fatalf("second husk rm: exit %d, %q; want an error naming it", r.code, r.stderr)
	}
	assertClean(t, root)
}

func TestRunningContainerInPs(t *testing.T) {
	need(t)
	root := newRoot(t)
	cmd, _ := startHusk(t, root, "--name", "sleeper", "busybox:musl", "sh", "-c", "echo ready; exec sleep 100")
	ps := runHusk(root, nil, "ps")
	if !strings.Contains(ps.stdout, "sleeper") || !strings.Contains(ps.stdout, "Up") {
		t.Errorf("husk ps does not show the running container:\n%s", ps.stdout)
	}
	if r := runHusk(root, nil, "rm", "sleeper"); r.code == 0 || !strings.Contains(r.stderr, "running") {
		t.Errorf("rm of a running container: exit %d, %q; want a refusal", r.code, r.stderr)
	}
	if r := runHusk(root, nil, "rm", "-f", "sleeper"); r.code != 0 {
		t.Errorf("rm -f: %d %s", r.code, r.stderr)
	}
	exitOf(t, cmd)
	assertClean(t, root)
}

// TestKillNineHusk kills husk itself: the container must die with it,
// and the next husk command removes what --rm would have.
func TestKillNineHusk(t *testing.T) {
	need(t)
	root := newRoot(t)
	cmd, _ := startHusk(t, root, "--rm", "busybox:musl", "sh", "-c", "echo ready; exec sleep 100")
	pid := containerPid(t, root)
	cmd.Process.Kill()
	cmd.Wait()
	if !waitFor(5*time.Second, func() bool { return !processExists(pid) }) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("container process %d outlived husk", pid)
	}
	runHusk(root, nil, "ps", "-a")
	assertClean(t, root)
}

// waitExec waits until process pid runs the program called comm.
func waitExec(t *testing.T, pid int, comm string) {
	t.Helper()
	ok := waitFor(5*time.Second, func() bool {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return err == nil && strings.TrimSpace(string(data)) == comm
	})
	if !ok {
		t.Fatalf("pid %d did not exec %s", pid, comm)
	}
}

// containerPid reads the pid of the only container under root.
func containerPid(t *testing.T, root string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "run"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("want one container state, got %v %v", entries, err)
	}
	data, err := os.ReadFile(filepath.Join(root, "run", entries[0].Name(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), `"pid":`)
	j := strings.IndexAny(string(data)[i+6:], ",}")
	pid, err := strconv.Atoi(string(data)[i+6 : i+6+j])
	if err != nil {
		t.Fatalf("no pid in state %s", data)
	}
	return pid
}

func processExists(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// A zombie waiting for its reaper is gone for our purposes.
	return !strings.Contains(string(data), ") Z ")
}

func TestNothingLeftAfterRun(t *testing.T) {
	need(t)
	root := newRoot(t)
	r := runHusk(root, nil, "run", "--rm", "busybox:musl", "sh", "-c", "sleep 0.1 & echo done")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	assertClean(t, root)
}

// TestReadOnlyRoot runs with --read-only: the rootfs refuses writes, the
// mounts on it (/dev/shm, /etc/hostname) take them, as in Docker.
func TestReadOnlyRoot(t *testing.T) {
	need(t)
	out := mustRun(t, "--read-only", "busybox:musl", "sh", "-c",
		"touch /x 2>/dev/null && echo root-writable || echo root-readonly; "+
			"touch /dev/shm/y && echo shm-writable; echo h >/etc/hostname && echo hostname-writable")
	if out != "root-readonly\nshm-writable\nhostname-writable\n" {
		t.Fatalf("--read-only: %q", out)
	}
	if out := mustRun(t, "busybox:musl", "sh", "-c", "touch /x && echo root-writable"); out != "root-writable\n" {
		t.Fatalf("without --read-only: %q", out)
	}
}

// TestSignalDuringStart sends SIGTERM to husk run at many moments of its
// start, from before it catches signals to after the container runs:
// husk must end as SIGTERM would end it (by the signal, or exit 143), and
// leave nothing of the container behind whichever step it was at.
func TestSignalDuringStart(t *testing.T) {
	need(t)
	root := newRoot(t)
	for i, end := range signalDuringStart(t, root, syscall.SIGTERM, 30, 300*time.Microsecond) {
		ws := end.Sys().(syscall.WaitStatus)
		if !(ws.Signaled() && ws.Signal() == syscall.SIGTERM) && ws.ExitStatus() != 143 {
			t.Errorf("SIGTERM %d: %v, want death by SIGTERM or exit 143", i, end)
		}
	}
	assertReaped(t, root)
}

// TestKillNineDuringStart kills husk run with SIGKILL at many moments of
// its start: the next husk command must remove whatever the killed one
// left of its --rm container, its cgroups and state included.
func TestKillNineDuringStart(t *testing.T) {
	need(t)
	root := newRoot(t)
	signalDuringStart(t, root, syscall.SIGKILL, 40, 250*time.Microsecond)
	// The containers die with their husk (a parent-death signal).
	time.Sleep(100 * time.Millisecond)
	assertReaped(t, root)
}

// signalDuringStart starts husk run --rm n times and sends sig to the
// i-th i*step after its start; it returns how each ended.
func signalDuringStart(t *testing.T, root string, sig syscall.Signal, n int, step time.Duration) []*os.ProcessState {
	t.Helper()
	var ends []*os.ProcessState
	for i := range n {
		cmd := exec.Command(huskBin, "--root", root, "run", "--rm", "--network", "none", "busybox:musl", "sleep", "5")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i) * step)
		cmd.Process.Signal(sig)
		cmd.Wait()
		ends = append(ends, cmd.ProcessState)
	}
	return ends
}

// assertReaped runs a husk command, which reaps what killed husks left
// of --rm containers, and checks that nothing of root's containers is
// left, cgroups included.
func assertReaped(t *testing.T, root string) {
	t.Helper()
	runHusk(root, nil, "ps", "-a")
	assertClean(t, root)
	for _, d := range cgroupsNamed("") {
		if strings.Contains(d, rootHash(root)) {
			t.Errorf("cgroup left: %s", d)
		}
	}
}

// rootHash is the part of a container's cgroup name that tells root's
// containers from others (runtime.cgroupPath).
func rootHash(root string) string {
	sum := sha256.Sum256([]byte(filepath.Join(root, "run")))
	return "husk-" + hex.EncodeToString(sum[:4]) + "-"
}

// TestConcurrentRunsAndPs runs --rm containers from three husks at once
// while a fourth lists them: every run must succeed, however the others'
// starts and removals interleave with it (each husk command reaps --rm
// containers whose husk died; it must leave a living husk's alone).
func TestConcurrentRunsAndPs(t *testing.T) {
	need(t)
	root := newRoot(t)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if r := runHusk(root, nil, "run", "--rm", "--network", "none", "busybox:musl", "true"); r.code != 0 {
					errs <- r.stderr
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 40 {
			if r := runHusk(root, nil, "ps", "-a"); r.code != 0 {
				errs <- r.stderr
			}
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a husk command failed: %s", e)
	}
	assertReaped(t, root)
}

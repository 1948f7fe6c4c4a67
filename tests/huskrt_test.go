package tests

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/cgroups"
)

// TestHuskrtLifecycle walks a container through create, start, kill and
// delete as containerd does, checking state and the pid file each step.
func TestHuskrtLifecycle(t *testing.T) {
	b := newBundle(t, "sh", "-c", "echo started > /tmp/out; exec sleep 100")
	b.write()
	pidFile := filepath.Join(t.TempDir(), "pid")

	b.must("create", "--bundle", b.dir, "--pid-file", pidFile, "c1")
	if got := b.status("c1"); got != "created" {
		t.Fatalf("after create: %s, want created", got)
	}
	data, err := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(string(data))
	if err != nil || pid <= 0 || !processExists(pid) {
		t.Fatalf("pid file %q (%v) does not name a live init", data, err)
	}
	if r := b.rt("create", "c1"); r.code == 0 || !strings.Contains(r.stderr, `"c1" already exists`) {
		t.Errorf("second create: %+v", r)
	}

	b.must("start", "c1")
	if got := b.status("c1"); got != "running" {
		t.Fatalf("after start: %s, want running", got)
	}
	if r := b.rt("start", "c1"); r.code == 0 || !strings.Contains(r.stderr, "running") {
		t.Errorf("second start: %+v", r)
	}
	if r := b.rt("delete", "c1"); r.code == 0 || !strings.Contains(r.stderr, "running") {
		t.Errorf("delete of a running container: %+v", r)
	}
	if list := b.must("list", "--format", "json"); !strings.Contains(list, `"c1"`) {
		t.Errorf("list: %s", list)
	}

	b.must("kill", "c1", "KILL")
	if !waitFor(5*time.Second, func() bool { return b.status("c1") == "stopped" }) {
		t.Fatalf("after kill: %s, want stopped", b.status("c1"))
	}
	b.must("delete", "c1")
	for _, cmd := range [][]string{{"state", "c1"}, {"exec", "c1", "true"}} {
		if r := b.rt(cmd...); r.code == 0 || !strings.Contains(r.stderr, `"c1" does not exist`) {
			t.Errorf("%s after delete: %+v", cmd[0], r)
		}
	}
}

func TestHuskrtRunForeground(t *testing.T) {
	b := newBundle(t, "sh", "-c", "echo out; echo err >&2; exit 3")
	b.write()
	r := b.rt("run", "fg")
	if r.code != 3 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("run: %+v, want exit 3 with out/err", r)
	}
	if entries, _ := os.ReadDir(b.root); len(entries) != 0 {
		t.Errorf("run left state: %v", entries)
	}
}

func TestHuskrtExec(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.write()
	b.must("run", "-d", "c1")

	r := b.rt("exec", "c1", "sh", "-c", "echo $$ $(cat /proc/1/comm); exit 4")
	if r.code != 4 || strings.Fields(r.stdout)[1] != "sleep" || strings.Fields(r.stdout)[0] == "1" {
		t.Fatalf("exec: %+v; want exit 4, in the container's pid namespace", r)
	}
	out := b.must("exec", "--user", "65534:65534", "--cwd", "/tmp", "--env", "X=y", "c1",
		"sh", "-c", `echo "$(id -u) $(pwd) $X"`)
	if out != "65534 /tmp y\n" {
		t.Fatalf("exec with options: %q", out)
	}
	out = b.must("exec", "c1", "sh", "-c",
		`for ns in mnt net ipc uts pid cgroup; do [ "$(readlink /proc/self/ns/$ns)" = "$(readlink /proc/1/ns/$ns)" ] || echo not in $ns; done`)
	if out != "" {
		t.Fatalf("exec did not join every namespace: %s", out)
	}

	proc := b.spec.Process
	proc.Args = []string{"sh", "-c", "grep CapEff /proc/self/status"}
	proc.Capabilities = &specs.LinuxCapabilities{Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}, Bounding: []string{"CAP_KILL"}}
	procFile := filepath.Join(t.TempDir(), "process.json")
	writeJSON(t, procFile, proc)
	if out := b.must("exec", "--process", procFile, "c1"); !strings.Contains(out, "0000000000000020") {
		t.Fatalf("exec --process caps: %q, want CAP_KILL only", out)
	}

	if r := b.rt("exec", "c1", "no-such-binary"); r.code == 0 || !strings.Contains(r.stderr, "no-such-binary") {
		t.Fatalf("exec of a missing binary: %+v", r)
	}
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	b.must("exec", "-d", "--pid-file", pidFile, "c1", "sleep", "50")
	data, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(string(data))
	if ps := b.must("ps", "--format", "json", "c1"); !strings.Contains(ps, strconv.Itoa(pid)) {
		t.Fatalf("ps %s lacks the exec'd pid %d", ps, pid)
	}
	b.must("delete", "--force", "c1")
	if processExists(pid) {
		t.Fatalf("exec'd process %d outlived delete --force", pid)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHuskrtHooks runs every kind of hook and checks their order, that
// each got the state on stdin, and where each ran.
func TestHuskrtHooks(t *testing.T) {
	b := newBundle(t, "true")
	logDir := t.TempDir()
	log := filepath.Join(logDir, "order")
	hook := func(name string) specs.Hook {
		script := `read -r state; case "$state" in *'"id":"h1"'*) ;; *) exit 9;; esac; echo ` + name + ` >> ` + log
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script}}
	}
	// startContainer runs inside the container, after pivot_root: its
	// path and the log it writes are the container's.
	inside := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo startContainer >> /hooklog/order"}}
	b.spec.Hooks = &specs.Hooks{
		Prestart: []specs.Hook{hook("prestart")}, CreateRuntime: []specs.Hook{hook("createRuntime")},
		CreateContainer: []specs.Hook{hook("createContainer")}, StartContainer: []specs.Hook{inside},
		Poststart: []specs.Hook{hook("poststart")}, Poststop: []specs.Hook{hook("poststop")},
	}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/hooklog", Type: "bind", Source: logDir, Options: []string{"rbind"}})
	b.write()

	b.must("create", "h1")
	b.must("start", "h1")
	waitFor(5*time.Second, func() bool { return b.status("h1") == "stopped" })
	b.must("delete", "h1")

	got, _ := os.ReadFile(log)
	want := "prestart\ncreateRuntime\ncreateContainer\nstartContainer\npoststart\npoststop\n"
	if string(got) != want {
		t.Fatalf("hooks ran as %q, want %q", got, want)
	}
}

func TestHuskrtFailingHookLeavesNothing(t *testing.T) {
	b := newBundle(t, "true")
	b.spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo nope >&2; exit 1"}}}}
	b.write()
	r := b.rt("create", "bad")
	if r.code == 0 || !strings.Contains(r.stderr, "createRuntime hook") || !strings.Contains(r.stderr, "nope") {
		t.Fatalf("create with a failing hook: %+v", r)
	}
	if entries, _ := os.ReadDir(b.root); len(entries) != 0 {
		t.Fatalf("failed create left state: %v", entries)
	}
}

func TestHuskrtBadConfig(t *testing.T) {
	tests := []struct {
		name, want string
		change     func(*specs.Spec)
	}{
		{"rlimit", `"RLIMIT_BOGUS"`, func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_BOGUS"})
		}},
		{"selinux", "process.selinuxLabel", func(s *specs.Spec) { s.Process.SelinuxLabel = "system_u:x" }},
		{"namespace", `"bogus"`, func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
		}},
		{"no args", "process.args", func(s *specs.Spec) { s.Process.Args = nil }},
		{"mount", "/nonexistent-source", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/nonexistent-source", Options: []string{"bind"}})
		}},
		// Refused by the kernel while the cgroup is set up: none of the
		// cgroup's directories may stay.
		{"cpuset", "linux.resources.cpu.cpus", func(s *specs.Spec) {
			s.Linux.Resources = &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "4095"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, "true")
			tt.change(b.spec)
			b.write()
			r := b.rt("create", "bad")
			if r.code == 0 || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("create: exit %d, stderr %q; want one line naming %s", r.code, r.stderr, tt.want)
			}
			if entries, _ := os.ReadDir(b.root); len(entries) != 0 {
				t.Fatalf("failed create left state: %v", entries)
			}
			if left := cgroupsNamed("-bad"); len(left) != 0 {
				t.Fatalf("failed create left cgroups: %v", left)
			}
		})
	}
}

// cgroupsNamed lists the husk-* cgroup directories whose name ends in
// suffix, in every hierarchy, down to a few levels.
func cgroupsNamed(suffix string) []string {
	dirs, _ := cgroups.Find(func(name string) bool {
		return strings.HasPrefix(name, "husk-") && strings.HasSuffix(name, suffix)
	})
	return dirs
}

// TestHuskrtNoHostFDs checks that only stdio (and what --preserve-fds
// asks for) reaches the container process.
func TestHuskrtNoHostFDs(t *testing.T) {
	b := newBundle(t, "ls", "/proc/self/fd")
	b.write()
	if out := strings.Fields(b.must("run", "fds")); strings.Join(out, " ") != "0 1 2 3" {
		t.Fatalf("fds in the container: %v, want 0 1 2 and ls's own 3", out)
	}

	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(huskrtBin, "--root", b.root, "run", "--preserve-fds", "1", "fds2")
	cmd.Dir, cmd.ExtraFiles = b.dir, []*os.File{f}
	out, err := cmd.Output()
	if got := strings.Fields(string(out)); err != nil || strings.Join(got, " ") != "0 1 2 3 4" {
		t.Fatalf("with --preserve-fds 1: %v %v, want 0 1 2 3 and ls's own 4", got, err)
	}
}

// TestHuskrtMountSymlinkEscape puts a symlink to a host directory in the
// rootfs and a mount whose target goes through it: the mount must stay
// inside the rootfs.
func TestHuskrtMountSymlinkEscape(t *testing.T) {
	b := newBundle(t, "sh", "-c", "ls /escape/target && echo inside")
	hostDir := t.TempDir()
	if err := os.Symlink(hostDir, filepath.Join(b.dir, "rootfs", "escape")); err != nil {
		t.Fatal(err)
	}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/escape/target", Type: "tmpfs", Source: "tmpfs"})
	b.write()
	b.rt("run", "esc")
	if entries, _ := os.ReadDir(hostDir); len(entries) != 0 {
		t.Fatalf("the mount escaped to the host: %s holds %v", hostDir, entries)
	}
	if strings.Contains(mountinfo(t), hostDir) {
		t.Fatalf("a mount landed on the host path %s", hostDir)
	}
}

func mountinfo(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestHuskrtBinaryNotWritable checks the CVE-2019-5736 defence: the init
// runs husk's code inside the container before it execs, and its
// /proc/PID/exe must not open for writing.
func TestHuskrtBinaryNotWritable(t *testing.T) {
	b := newBundle(t, "true")
	b.write()
	pidFile := filepath.Join(t.TempDir(), "pid")
	b.must("create", "--pid-file", pidFile, "c1")
	data, _ := os.ReadFile(pidFile)

	// While the init runs, writing fails with ETXTBSY anyway; what must
	// hold is that the file is on a read-only mount, so a handle kept
	// until the init is gone still cannot write it.
	exe := "/proc/" + string(data) + "/exe"
	f, err := os.OpenFile(exe, os.O_WRONLY, 0)
	if err == nil {
		f.Close()
		t.Fatal("the init's binary opened for writing")
	}
	var st unix.Statfs_t
	if err := unix.Statfs(exe, &st); err != nil {
		t.Fatal(err)
	}
	if st.Flags&unix.ST_RDONLY == 0 {
		t.Fatalf("the init's binary is on a writable mount (statfs flags %#x)", st.Flags)
	}
	if target, _ := os.Readlink(exe); target == "" || strings.Contains(target, "(deleted)") {
		t.Logf("exe link: %q", target)
	}
}

// TestHuskrtConsoleSocket receives the pty master the way containerd's
// shim does and reads the container's output from it.
func TestHuskrtConsoleSocket(t *testing.T) {
	b := newBundle(t, "sh", "-c", "tty; stty size")
	b.spec.Process.Terminal = true
	b.spec.Process.ConsoleSize = &specs.Box{Height: 24, Width: 90}
	b.write()

	sockPath, got := consoleSocket(t)

	b.must("create", "--console-socket", sockPath, "tty1")
	master := <-got
	if master == nil {
		t.Fatal("no pty master arrived on the console socket")
	}
	defer master.Close()
	b.must("start", "tty1")

	out := readAll(master, 3*time.Second)
	if !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "24 90") {
		t.Fatalf("terminal output %q", out)
	}
}

// consoleSocket listens on a unix socket, as containerd's shim does for
// --console-socket, and returns its path and the pty master that arrives
// on it (nil when none does). The listener closes when t ends.
func consoleSocket(t *testing.T) (string, <-chan *os.File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan *os.File, 1)
	go func() { got <- recvFD(l) }()
	return path, got
}

func recvFD(l *net.UnixListener) *os.File {
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil
	}
	defer conn.Close()
	buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil
	}
	return os.NewFile(uintptr(fds[0]), "pty-master")
}

// readAll reads from f until EOF/EIO or the deadline.
func readAll(f *os.File, limit time.Duration) string {
	done := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 1024)
		for {
			n, err := f.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				done <- b.String()
				return
			}
		}
	}()
	select {
	case s := <-done:
		return s
	case <-time.After(limit):
		return "(timed out)"
	}
}

// TestHuskrtConcurrentStart races five starts of one created container:
// the per-container lock lets exactly one through.
func TestHuskrtConcurrentStart(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.write()
	b.must("create", "race")

	results := make(chan int, 5)
	for i := 0; i < 5; i++ {
		go func() { results <- b.rt("start", "race").code }()
	}
	ok := 0
	for i := 0; i < 5; i++ {
		if <-results == 0 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 5 concurrent starts succeeded, want exactly 1", ok)
	}
	if got := b.status("race"); got != "running" {
		t.Fatalf("status %s, want running", got)
	}
}

// TestHuskrtExecTTY execs a process with a terminal into a running
// container, as `ctr task exec -t` and `podman exec -it` do.
func TestHuskrtExecTTY(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	b.write()
	b.must("run", "-d", "ex")

	sockPath, got := consoleSocket(t)

	r := b.rt("exec", "-t", "-d", "--console-socket", sockPath, "ex", "sh", "-c", "tty; sleep 1")
	if r.code != 0 {
		t.Fatalf("exec -t: %+v", r)
	}
	master := <-got
	if master == nil {
		t.Fatal("no pty master arrived on the console socket")
	}
	defer master.Close()
	if out := readAll(master, 3*time.Second); !strings.Contains(out, "/dev/pts/") {
		t.Fatalf("exec'd terminal printed %q", out)
	}
}

// TestHuskrtCreatedStdio checks that a created container's stdout and
// stderr carry only what the container writes. huskrt create hands the
// init its own stdio and exits; the init later reports its exec to a
// parent that is gone, and must not print that report instead.
func TestHuskrtCreatedStdio(t *testing.T) {
	b := newBundle(t, "sh", "-c", "echo out; echo err >&2")
	b.write()
	dir := t.TempDir()
	stdout, stderr := createFile(t, dir, "stdout"), createFile(t, dir, "stderr")
	cmd := exec.Command(huskrtBin, "--root", b.root, "create", "--bundle", b.dir, "c1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	stdout.Close()
	stderr.Close()
	if err != nil {
		t.Fatalf("huskrt create: %v", err)
	}
	b.must("start", "c1")
	if !waitFor(5*time.Second, func() bool { return b.status("c1") == "stopped" }) {
		t.Fatalf("c1 is %s, want stopped", b.status("c1"))
	}
	b.must("delete", "c1")

	for name, want := range map[string]string{"stdout": "out\n", "stderr": "err\n"} {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != want {
			t.Errorf("the container's %s holds %q, want %q", name, got, want)
		}
	}
}

package tests

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The names the public images get in containerd.
const (
	ctrdBusybox = "localhost/husk-e2e/busybox:musl"
	ctrdAlpine  = "localhost/husk-e2e/alpine:3.20.3"
)

// TestContainerd runs the OCI runtime under test (see ociRuntime) the way
// Kubernetes nodes and Docker do: containerd's runc shim calls it for create,
// start, exec, pause, resume, kill and delete. Every check is what a user of
// ctr sees: output, exit status, task state.
func TestContainerd(t *testing.T) {
	ociNeed(t, "apt-get install -y containerd runc",
		"containerd", "ctr", "containerd-shim-runc-v2", "unshare", "nsenter")
	runtime := ociRuntime(t)
	images := ociImages(t)
	s := startContainerd(t, runtime)
	s.importImage(t, filepath.Join(images, "busybox-1.38-musl"), ctrdBusybox)
	s.importImage(t, filepath.Join(images, "alpine-3.20.3"), ctrdAlpine)

	t.Run("RunOutputAndExitStatus", func(t *testing.T) {
		r := s.ctr(t, s.runArgs("--rm", ctrdBusybox, "echo", "echo", "hello")...)
		if r.code != 0 || r.stdout != "hello\n" {
			t.Errorf("ctr run echo hello: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}
		r = s.ctr(t, s.runArgs("--rm", ctrdBusybox, "exit3", "sh", "-c", "exit 3")...)
		if r.code != 3 {
			t.Errorf("ctr run sh -c 'exit 3': exit %d, want 3; stderr %s", r.code, r.stderr)
		}
		s.checkGone(t, "echo", "exit3")
	})

	t.Run("AlpineOSRelease", func(t *testing.T) {
		r := s.ctr(t, s.runArgs("--rm", ctrdAlpine, "alpine", "cat", "/etc/os-release")...)
		if r.code != 0 || !strings.Contains(r.stdout, "ID=alpine") ||
			!strings.Contains(r.stdout, "VERSION_ID=3.20.3") {
			t.Errorf("exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("NoNetworkButLoopback", func(t *testing.T) {
		r := s.ctr(t, s.runArgs("--rm", ctrdBusybox, "net", "cat", "/proc/net/dev")...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		ociOnlyLoopback(t, r.stdout)
	})

	t.Run("DetachedTaskLifecycle", func(t *testing.T) {
		const id = "counter"
		r := s.ctr(t, s.runArgs("-d", ctrdBusybox, id, "sh", "-c", ociCounterScript)...)
		if r.code != 0 {
			t.Fatalf("ctr run -d: exit %d: %s", r.code, r.stderr)
		}
		task, ok := s.tasks(t)[id]
		if !ok || task.status != "RUNNING" || task.pid <= 0 {
			t.Fatalf("ctr task ls: %s is %+v, want RUNNING with a pid", id, task)
		}
		if binary := s.runcBinary(t, id); !strings.Contains(binary, s.runtime) {
			t.Errorf("container's runtime options name %q, not %s", binary, s.runtime)
		}

		r = s.ctr(t, "task", "ps", id)
		if pids := firstColumn(r.stdout); !slices.Contains(pids, strconv.Itoa(task.pid)) {
			t.Errorf("ctr task ps lacks pid %d:\n%s", task.pid, r.stdout)
		}

		r = s.ctr(t, "task", "exec", "--fifo-dir", s.fifos, "--exec-id", "x1", id,
			"sh", "-c", ociExecProbe)
		if r.code != 7 || r.stdout != "from-exec\n" {
			t.Errorf("ctr task exec: exit %d (want 7), stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}

		ociCheckFrozen(t, task.pid, func() {
			s.mustCtr(t, "task", "pause", id)
			if st := s.tasks(t)[id].status; st != "PAUSED" {
				t.Errorf("after ctr task pause: status %s, want PAUSED", st)
			}
		}, func() {
			s.mustCtr(t, "task", "resume", id)
			if st := s.tasks(t)[id].status; st != "RUNNING" {
				t.Errorf("after ctr task resume: status %s, want RUNNING", st)
			}
		})

		// SIGTERM by default; the payload traps it and exits 42.
		s.mustCtr(t, "task", "kill", id)
		if !waitFor(10*time.Second, func() bool { return s.tasks(t)[id].status == "STOPPED" }) {
			t.Fatalf("task not STOPPED after ctr task kill: %+v", s.tasks(t)[id])
		}
		r = s.mustCtr(t, "task", "delete", id)
		if !strings.Contains(r.stderr, "exit code 42") {
			t.Errorf("ctr task delete does not report exit code 42: %s", r.stderr)
		}
		if _, ok := s.tasks(t)[id]; ok {
			t.Errorf("ctr task ls still lists %s after ctr task delete", id)
		}
		s.mustCtr(t, "container", "delete", id)
		s.checkGone(t, id)
	})

	t.Run("KillWithSignal", func(t *testing.T) {
		const id = "sleeper"
		ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
		defer cancel()
		run := s.ctrCmd(ctx, s.runArgs("--rm", ctrdBusybox, id, "sleep", "1000")...)
		exited := make(chan result, 1)
		go func() { exited <- ociRun(run, nil) }()
		if !waitFor(10*time.Second, func() bool { return s.tasks(t)[id].status == "RUNNING" }) {
			t.Fatalf("task %s never RUNNING", id)
		}
		s.mustCtr(t, "task", "kill", "-s", "SIGKILL", id)
		if r := <-exited; r.code != 128+9 {
			t.Errorf("ctr run of a task killed by SIGKILL: exit %d, want 137; stderr %s", r.code, r.stderr)
		}
		s.checkGone(t, id)
	})

	t.Run("TTY", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
		defer cancel()
		text, code := ociRunOnPty(t, s.ctrCmd(ctx,
			s.runArgs("--rm", "-t", ctrdBusybox, "tty", "sh", "-c", "tty; exit 4")...))
		if code != 4 {
			t.Errorf("ctr run -t: exit %d, want 4", code)
		}
		if !regexp.MustCompile(`/dev/pts/\d+`).MatchString(text) {
			t.Errorf("tty in ctr run -t does not print /dev/pts/N:\n%q", text)
		}
		s.checkGone(t, "tty")
	})
}

// ctrdSuite is one containerd of ours: its own config, root, state dir and
// socket in a temp dir, in a private mount namespace with a tmpfs on /run,
// and a containerd namespace (also the parent of its task cgroups) unique
// to the test run.
type ctrdSuite struct {
	dir     string // everything of this containerd, on the host
	sock    string // its grpc socket
	ns      string // the containerd namespace of every command
	runtime string // the OCI runtime under test
	fifos   string // ctr's fifo dir (its default is in /run/containerd)
	mnt     *ociMountNS
	daemon  *exec.Cmd
	exited  chan struct{} // closed when the daemon has exited
}

// ctrdConfig is containerd's config: only what ctr needs, with the plugins
// that touch the host (CRI with its CNI networks, /opt/containerd) off.
const ctrdConfig = `version = 2
root = %[1]q
state = %[2]q
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.restart",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = %[3]q

[ttrpc]
  address = "%[3]s.ttrpc"

# The tasks service needs the v1 runtime loaded; nothing here uses it.
[plugins."io.containerd.runtime.v1.linux"]
  runtime_root = %[4]q
`

// startContainerd starts containerd and waits until it answers; the test's
// cleanup stops it and checks that it left nothing behind.
func startContainerd(t *testing.T, runtime string) *ctrdSuite {
	t.Helper()
	dir := t.TempDir()
	if strings.HasPrefix(dir, "/run/") {
		skipf(t, "temp dir %s is under /run, which containerd's namespace hides; set TMPDIR", dir)
	}
	s := &ctrdSuite{
		dir:     dir,
		sock:    filepath.Join(dir, "containerd.sock"),
		ns:      ociTestID("husk-ctrd"),
		runtime: runtime,
		fifos:   filepath.Join(dir, "fifo"),
		exited:  make(chan struct{}),
	}
	config := filepath.Join(dir, "config.toml")
	text := fmt.Sprintf(ctrdConfig, filepath.Join(dir, "root"), filepath.Join(dir, "state"),
		s.sock, filepath.Join(dir, "v1"))
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(s.fifos, 0o700); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "containerd.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	// The shim puts its socket in /run/containerd/s whatever the config
	// says, and the runtime's state goes to /run/containerd/runc.
	s.mnt = newOCIMountNS(t, "/run")
	s.daemon = s.mnt.command(context.Background(), "containerd", "--config", config)
	s.daemon.Stdout, s.daemon.Stderr = logFile, logFile
	s.daemon.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.daemon.Start(); err != nil {
		s.mnt.close()
		t.Fatalf("start containerd: %v", err)
	}
	go func() { s.daemon.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.stop(t) })

	up := waitFor(10*time.Second, func() bool {
		select {
		case <-s.exited:
			return true
		default:
		}
		return s.ctr(t, "version").code == 0
	})
	select {
	case <-s.exited:
		up = false
	default:
	}
	if !up {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("containerd did not come up:\n%s", log)
	}
	return s
}

// stop removes what failed tests left, stops containerd with SIGTERM and
// checks that no mount, runtime state, shim, container process or cgroup of
// it remains.
func (s *ctrdSuite) stop(t *testing.T) {
	select {
	case <-s.exited:
		t.Errorf("containerd died during the tests; see %s", filepath.Join(s.dir, "containerd.log"))
	default:
		for id := range s.tasks(t) {
			s.ctr(t, "task", "kill", "-s", "SIGKILL", id)
			waitFor(5*time.Second, func() bool { return s.tasks(t)[id].status == "STOPPED" })
			s.ctr(t, "task", "delete", "-f", id)
		}
		for _, id := range strings.Fields(s.ctr(t, "container", "ls", "-q").stdout) {
			s.ctr(t, "container", "delete", id)
		}
		if m := s.mnt.mountsUnder(s.dir); len(m) > 0 {
			t.Errorf("mounts left in containerd's namespace:\n%s", strings.Join(m, "\n"))
		}
		root := filepath.Join("/run/containerd/runc", s.ns) // the shim's --root
		if ids := s.mnt.runtimeContainers(t, s.runtime, root); len(ids) > 0 {
			t.Errorf("the runtime still has containers %v in %s", ids, root)
		}
		s.daemon.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("containerd ignored SIGTERM for 10s; killing it")
			s.daemon.Process.Kill()
			<-s.exited
		}
	}
	// Shims outlive containerd by design; each should have gone with its task.
	ociReapStrays(t, s.dir, s.ns)
	ociRemoveCgroups(t, s.ns)
	s.mnt.close()
	if m := ociMountsUnder("/proc/self/mountinfo", s.dir); len(m) > 0 {
		t.Errorf("mounts left on the host:\n%s", strings.Join(m, "\n"))
	}
}

// ctrCmd returns a ctr command against this containerd and namespace.
func (s *ctrdSuite) ctrCmd(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ctr", append([]string{"-a", s.sock, "-n", s.ns}, args...)...)
}

// ctr runs ctr with args.
func (s *ctrdSuite) ctr(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
	defer cancel()
	return ociRun(s.ctrCmd(ctx, args...), nil)
}

// mustCtr runs ctr with args and fails the test unless it exits 0.
func (s *ctrdSuite) mustCtr(t *testing.T, args ...string) result {
	t.Helper()
	r := s.ctr(t, args...)
	if r.code != 0 {
		t.Fatalf("ctr %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// runArgs returns `ctr run` with the runtime under test and then args. ctr
// gives each task an empty network namespace unless --net-host, which these
// tests never pass.
func (s *ctrdSuite) runArgs(args ...string) []string {
	return append([]string{"run", "--runtime", "io.containerd.runc.v2",
		"--runc-binary", s.runtime, "--fifo-dir", s.fifos}, args...)
}

// importImage imports an OCI image layout, streamed to ctr as an OCI
// archive, and names its index name.
func (s *ctrdSuite) importImage(t *testing.T, layout, name string) {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.AddFS(os.DirFS(layout))
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
	defer cancel()
	r := ociRun(s.ctrCmd(ctx, "images", "import", "--index-name", name, "-"), pr)
	pr.Close() // ends the writer if ctr stopped reading
	if r.code != 0 {
		t.Fatalf("ctr images import %s: exit %d: %s", layout, r.code, r.stderr)
	}
	if names := s.ctr(t, "images", "ls", "-q").stdout; !slices.Contains(strings.Fields(names), name) {
		t.Fatalf("%s not in ctr images ls after import:\n%s", name, names)
	}
}

// runcBinary returns the runtime options the shim keeps for container id,
// as text: they are a protobuf (containerd.runc.v1.Options) with the runtime
// binary's path in it, which `ctr container info` shows only in base64.
func (s *ctrdSuite) runcBinary(t *testing.T, id string) string {
	t.Helper()
	var info struct {
		Runtime struct {
			Options struct {
				Value []byte `json:"value"`
			}
		}
	}
	r := s.mustCtr(t, "container", "info", id)
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("ctr container info %s: %v\n%s", id, err, r.stdout)
	}
	return string(info.Runtime.Options.Value)
}

// ctrdTask is a line of `ctr task ls`.
type ctrdTask struct {
	pid    int
	status string
}

// tasks returns the tasks of `ctr task ls` by id.
func (s *ctrdSuite) tasks(t *testing.T) map[string]ctrdTask {
	t.Helper()
	tasks := map[string]ctrdTask{}
	r := s.ctr(t, "task", "ls")
	for _, line := range strings.Split(r.stdout, "\n")[1:] {
		if f := strings.Fields(line); len(f) == 3 {
			pid, _ := strconv.Atoi(f[1])
			tasks[f[0]] = ctrdTask{pid: pid, status: f[2]}
		}
	}
	return tasks
}

// checkGone checks that ctr lists neither a task nor a container for ids and
// that no rootfs of theirs is still mounted in containerd's namespace.
func (s *ctrdSuite) checkGone(t *testing.T, ids ...string) {
	t.Helper()
	containers := strings.Fields(s.ctr(t, "container", "ls", "-q").stdout)
	tasks := s.tasks(t)
	mounts := s.mnt.mountsUnder(s.dir)
	for _, id := range ids {
		if _, ok := tasks[id]; ok {
			t.Errorf("task %s still listed", id)
		}
		if slices.Contains(containers, id) {
			t.Errorf("container %s still listed", id)
		}
		for _, m := range mounts {
			if strings.Contains(m, "/"+id+"/rootfs") {
				t.Errorf("rootfs of %s still mounted: %s", id, m)
			}
		}
	}
}

// firstColumn returns the first word of each line after a header line.
func firstColumn(table string) []string {
	var col []string
	for _, line := range strings.Split(table, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 {
			col = append(col, f[0])
		}
	}
	return col
}

package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The names the public images get in podman's store.
const (
	pmBusybox = "localhost/husk-e2e/busybox:musl"
	pmAlpine  = "localhost/husk-e2e/alpine:3.20.3"
)

// TestPodman runs the OCI runtime under test (see ociRuntime) through
// podman and conmon, rootful, with the cgroupfs manager. Every container runs
// with --network none: podman never creates a bridge or firewall rule here.
func TestPodman(t *testing.T) {
	ociNeed(t, "apt-get install -y podman runc", "podman", "conmon", "unshare", "nsenter")
	runtime := ociRuntime(t)
	images := ociImages(t)
	s := newPodman(t, runtime)
	s.pull(t, filepath.Join(images, "busybox-1.38-musl"), pmBusybox)
	s.pull(t, filepath.Join(images, "alpine-3.20.3"), pmAlpine)

	t.Run("RunOutputAndExitStatus", func(t *testing.T) {
		r := s.podman(t, s.runArgs("--rm", pmBusybox, "echo", "hello")...)
		if r.code != 0 || r.stdout != "hello\n" {
			t.Errorf("podman run echo hello: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}
		r = s.podman(t, s.runArgs("--rm", pmBusybox, "sh", "-c", "exit 42")...)
		if r.code != 42 {
			t.Errorf("podman run sh -c 'exit 42': exit %d, want 42; stderr %s", r.code, r.stderr)
		}
		if ids := s.podman(t, "ps", "-a", "-q").stdout; ids != "" {
			t.Errorf("podman ps -a lists containers after run --rm: %s", ids)
		}
	})

	t.Run("AlpineOSRelease", func(t *testing.T) {
		r := s.podman(t, s.runArgs("--rm", pmAlpine, "cat", "/etc/os-release")...)
		if r.code != 0 || !strings.Contains(r.stdout, "ID=alpine") ||
			!strings.Contains(r.stdout, "VERSION_ID=3.20.3") {
			t.Errorf("exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("NoNetworkButLoopback", func(t *testing.T) {
		r := s.podman(t, s.runArgs("--rm", pmBusybox, "cat", "/proc/net/dev")...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		ociOnlyLoopback(t, r.stdout)
	})

	t.Run("Rlimits", func(t *testing.T) {
		// default_ulimits in our containers.conf
		r := s.podman(t, s.runArgs("--rm", pmBusybox, "sh", "-c", "ulimit -Sn; ulimit -Hn")...)
		if r.code != 0 || r.stdout != "1024\n1024\n" {
			t.Errorf("soft and hard nofile: exit %d, stdout %q, want 1024 twice; stderr %s",
				r.code, r.stdout, r.stderr)
		}
	})

	t.Run("DetachedLifecycle", func(t *testing.T) {
		const name = "counter"
		r := s.podman(t, s.runArgs("-d", "--name", name, pmBusybox, "sh", "-c", ociCounterScript)...)
		if r.code != 0 || !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(r.stdout) {
			t.Fatalf("podman run -d: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}
		if ps := s.ps(t); ps[name] != "running" {
			t.Errorf("podman ps: %s is %q, want running (all: %v)", name, ps[name], ps)
		}
		pid, _ := strconv.Atoi(s.inspect(t, name, "{{.State.Pid}}"))
		if !processExists(pid) {
			t.Fatalf("podman inspect gives pid %d, which does not exist", pid)
		}

		r = s.podman(t, "exec", name, "sh", "-c", ociExecProbe)
		if r.code != 7 || r.stdout != "from-exec\n" {
			t.Errorf("podman exec: exit %d (want 7), stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}

		ociCheckFrozen(t, pid, func() {
			s.mustPodman(t, "pause", name)
			if st := s.ps(t)[name]; st != "paused" {
				t.Errorf("after podman pause: podman ps says %s, want paused", st)
			}
		}, func() {
			s.mustPodman(t, "unpause", name)
			if st := s.inspect(t, name, "{{.State.Status}}"); st != "running" {
				t.Errorf("after podman unpause: status %s, want running", st)
			}
		})

		// SIGTERM first: the payload traps it and exits 42, where podman's
		// SIGKILL after the timeout would give 137.
		s.mustPodman(t, "stop", "-t", "10", name)
		if st := s.inspect(t, name, "{{.State.Status}} {{.State.ExitCode}}"); st != "exited 42" {
			t.Errorf("after podman stop: %q, want exited 42", st)
		}
		if processExists(pid) {
			t.Errorf("pid %d still runs after podman stop", pid)
		}

		// A stopped container starts again from the same bundle.
		s.mustPodman(t, "start", name)
		if st := s.inspect(t, name, "{{.State.Status}}"); st != "running" {
			t.Fatalf("after podman start: status %s, want running", st)
		}
		s.mustPodman(t, "kill", name) // SIGKILL by default
		if !waitFor(10*time.Second, func() bool {
			return s.inspect(t, name, "{{.State.Status}}") == "exited"
		}) {
			t.Fatalf("still %s after podman kill", s.inspect(t, name, "{{.State.Status}}"))
		}
		if code := s.inspect(t, name, "{{.State.ExitCode}}"); code != "137" {
			t.Errorf("exit code after podman kill: %s, want 137", code)
		}
		s.mustPodman(t, "rm", name)
		if _, ok := s.ps(t)[name]; ok {
			t.Errorf("podman ps -a still lists %s after podman rm", name)
		}
	})

	t.Run("RmForce", func(t *testing.T) {
		const name = "doomed"
		s.mustPodman(t, s.runArgs("-d", "--name", name, pmBusybox, "sleep", "1000")...)
		pid, _ := strconv.Atoi(s.inspect(t, name, "{{.State.Pid}}"))
		s.mustPodman(t, "rm", "-f", "-t", "0", name)
		if _, ok := s.ps(t)[name]; ok {
			t.Errorf("podman ps -a still lists %s after podman rm -f", name)
		}
		if processExists(pid) {
			t.Errorf("pid %d of %s still runs after podman rm -f", pid, name)
		}
	})

	t.Run("TTY", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
		defer cancel()
		text, code := ociRunOnPty(t, s.command(ctx,
			s.runArgs("--rm", "-t", pmBusybox, "sh", "-c", "tty; exit 4")...))
		if code != 4 {
			t.Errorf("podman run -t: exit %d, want 4", code)
		}
		if !regexp.MustCompile(`/dev/pts/\d+`).MatchString(text) {
			t.Errorf("tty in podman run -t does not print /dev/pts/N:\n%q", text)
		}
	})
}

// pmSuite is a podman whose storage, state, configuration, locks and events
// live in one temp dir. It runs in a private mount namespace where /run,
// /var/lib and /var/cache are empty tmpfs mounts, because rootful podman 4.3
// writes some paths whatever it is told: the blob-info cache in
// /var/lib/containers/cache, /var/cache/containers, the network run dir in
// /run/containers, and the runtime's own default state dir such as
// /run/runc (its cleanup command ignores --runtime-flag root=...).
type pmSuite struct {
	dir     string
	runtime string
	cgroup  string // the cgroup parent of every container, and of conmon
	env     []string
	mnt     *ociMountNS
}

// pmContainersConf is podman's containers.conf: nothing global is read
// (CONTAINERS_CONF names only this file) or written.
const pmContainersConf = `[containers]
netns = "none"
log_driver = "k8s-file"
# Rootful podman asks for 1048576 open files and processes by default: no
# runtime can set that where the hard limits podman and conmon run with are
# lower and CAP_SYS_RESOURCE is not in the bounding set (so on the machine
# these tests were written on).
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "%[1]s/events.log"
hooks_dir = ["%[1]s/hooks"]
# file locks in tmp_dir, not the POSIX shm segment every podman shares
lock_type = "file"
num_locks = 128
tmp_dir = "%[1]s/tmp"
volume_path = "%[1]s/volumes"

[network]
# no plugins at all: nothing could set up a network even if asked
network_backend = "cni"
network_config_dir = "%[1]s/networks"
cni_plugin_dirs = ["%[1]s/cni-plugins"]
`

// newPodman writes podman's configuration and starts its mount namespace;
// the test's cleanup resets podman and checks that nothing is left.
func newPodman(t *testing.T, runtime string) *pmSuite {
	t.Helper()
	dir := t.TempDir()
	for _, hidden := range []string{"/run/", "/var/lib/", "/var/cache/"} {
		if strings.HasPrefix(dir, hidden) {
			skipf(t, "temp dir %s is under %s, which podman's namespace hides; set TMPDIR", dir, hidden)
		}
	}
	s := &pmSuite{dir: dir, runtime: runtime, cgroup: ociTestID("husk-podman")}
	files := map[string]string{
		"containers.conf": fmt.Sprintf(pmContainersConf, dir),
		"registries.conf": "unqualified-search-registries = []\n",
		"storage.conf": fmt.Sprintf("[storage]\ndriver = \"overlay\"\nrunroot = %q\ngraphroot = %q\n",
			filepath.Join(dir, "runroot"), filepath.Join(dir, "root")),
		"policy.json": `{"default": [{"type": "insecureAcceptAnything"}]}` + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"hooks", "cni-plugins", "networks", "imagetmp", "home"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.env = append(os.Environ(),
		"CONTAINERS_CONF="+filepath.Join(dir, "containers.conf"),
		"CONTAINERS_REGISTRIES_CONF="+filepath.Join(dir, "registries.conf"),
		"CONTAINERS_STORAGE_CONF="+filepath.Join(dir, "storage.conf"),
		"TMPDIR="+filepath.Join(dir, "imagetmp"),
		// podman system reset clears $XDG_CONFIG_HOME/containers/podman
		"HOME="+filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "home", ".config"),
		"XDG_DATA_HOME="+filepath.Join(dir, "home", ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "home", ".cache"))
	s.mnt = newOCIMountNS(t, "/run", "/var/lib", "/var/cache")
	t.Cleanup(func() { s.reset(t) })
	return s
}

// reset removes every container and image with `podman system reset` and
// checks that no mount, runtime state, conmon, container process or cgroup
// of this podman remains.
func (s *pmSuite) reset(t *testing.T) {
	s.podman(t, "rm", "-a", "-f", "-t", "0")
	if r := s.podman(t, "system", "reset", "-f"); r.code != 0 {
		t.Errorf("podman system reset: exit %d: %s", r.code, r.stderr)
	}
	if m := s.mnt.mountsUnder(s.dir); len(m) > 0 {
		t.Errorf("mounts left in podman's namespace:\n%s", strings.Join(m, "\n"))
	}
	if ids := s.mnt.runtimeContainers(t, s.runtime, ""); len(ids) > 0 {
		t.Errorf("the runtime still has containers %v", ids)
	}
	ociReapStrays(t, s.dir, s.cgroup)
	ociRemoveCgroups(t, s.cgroup)
	s.mnt.close()
	if m := ociMountsUnder("/proc/self/mountinfo", s.dir); len(m) > 0 {
		t.Errorf("mounts left on the host:\n%s", strings.Join(m, "\n"))
	}
}

// command returns a podman command with this suite's storage, runtime and
// configuration, in its mount namespace.
func (s *pmSuite) command(ctx context.Context, args ...string) *exec.Cmd {
	global := []string{
		"--root", filepath.Join(s.dir, "root"),
		"--runroot", filepath.Join(s.dir, "runroot"),
		"--runtime", s.runtime,
		"--cgroup-manager", "cgroupfs",
		"--events-backend", "file",
		"--storage-driver", "overlay",
	}
	cmd := s.mnt.command(ctx, "podman", append(global, args...)...)
	cmd.Env = s.env
	return cmd
}

// podman runs podman with args.
func (s *pmSuite) podman(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
	defer cancel()
	return ociRun(s.command(ctx, args...), nil)
}

// mustPodman runs podman with args and fails the test unless it exits 0.
func (s *pmSuite) mustPodman(t *testing.T, args ...string) result {
	t.Helper()
	r := s.podman(t, args...)
	if r.code != 0 {
		t.Fatalf("podman %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// runArgs returns `podman run` with no network, no pulls from a registry
// and our cgroup parent, and then args.
func (s *pmSuite) runArgs(args ...string) []string {
	return append([]string{"run", "--network", "none", "--pull", "never",
		"--cgroup-parent", "/" + s.cgroup}, args...)
}

// pull copies an OCI image layout into podman's store and names it.
func (s *pmSuite) pull(t *testing.T, layout, name string) {
	t.Helper()
	// podman names an image pulled from oci:PATH after the path, and a
	// name must be lowercase: the layout is pulled through a link whose
	// path is (a clone may live anywhere).
	dir, err := os.MkdirTemp("", "husk-podman-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	link := filepath.Join(dir, "layout")
	if err := os.Symlink(layout, link); err != nil {
		t.Fatal(err)
	}
	r := s.mustPodman(t, "pull", "-q", "--signature-policy", filepath.Join(s.dir, "policy.json"), "oci:"+link)
	s.mustPodman(t, "tag", strings.TrimSpace(r.stdout), name)
}

// inspect returns `podman inspect --format FORMAT name`, trimmed.
func (s *pmSuite) inspect(t *testing.T, name, format string) string {
	t.Helper()
	return strings.TrimSpace(s.mustPodman(t, "inspect", "--format", format, name).stdout)
}

// ps returns the state ("running", "paused", "exited"...) of every
// container in `podman ps -a` by name.
func (s *pmSuite) ps(t *testing.T) map[string]string {
	t.Helper()
	var list []struct {
		Names []string
		State string
	}
	r := s.mustPodman(t, "ps", "-a", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("podman ps -a --format json: %v\n%s", err, r.stdout)
	}
	states := map[string]string{}
	for _, c := range list {
		for _, name := range c.Names {
			states[name] = c.State
		}
	}
	return states
}

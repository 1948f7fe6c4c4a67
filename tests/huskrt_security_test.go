package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestHuskrtSeccompErrno denies mkdir with EACCES through a profile in
// config.json: the container sees that errno, and other calls work.
func TestHuskrtSeccompErrno(t *testing.T) {
	b := newBundle(t, "sh", "-c", "mkdir /tmp/x; echo rc=$?; echo still-here")
	eacces := uint(13)
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eacces},
		},
	}
	b.write()
	r := b.rt("run", "sc")
	if r.code != 0 || !strings.Contains(r.stdout, "rc=1") || !strings.Contains(r.stderr, "Permission denied") ||
		!strings.Contains(r.stdout, "still-here") {
		t.Fatalf("run: %+v; want mkdir to fail with EACCES and the rest to run", r)
	}
}

// TestHuskrtSeccompKill kills the process on a denied syscall: it dies of
// SIGSYS (exit 128+31).
func TestHuskrtSeccompKill(t *testing.T) {
	b := newBundle(t, "sh", "-c", "exec mkdir /tmp/y")
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActKillProcess}},
	}
	b.write()
	if r := b.rt("run", "sk"); r.code != 128+31 {
		t.Fatalf("run: %+v; want death by SIGSYS (159)", r)
	}
}

// TestHuskrtCapabilitySets sets each of the five sets differently and
// reads them back from /proc/self/status inside.
func TestHuskrtCapabilitySets(t *testing.T) {
	b := newBundle(t, "grep", "^Cap", "/proc/self/status")
	b.spec.Process.Capabilities = &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Effective:   []string{"CAP_CHOWN", "CAP_KILL"},
		Inheritable: []string{"CAP_NET_BIND_SERVICE"},
		Ambient:     []string{"CAP_NET_BIND_SERVICE"},
	}
	b.write()
	out := b.must("run", "caps")
	// CHOWN=0, KILL=5, NET_BIND_SERVICE=10, SETUID=7. Exec recomputes
	// the sets: ambient adds to permitted and effective.
	for _, want := range []string{
		"CapInh:\t0000000000000400", "CapPrm:\t0000000000000421", "CapEff:\t0000000000000421",
		"CapBnd:\t00000000000004a1", "CapAmb:\t0000000000000400",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}

func TestHuskrtReadonlyAndMasked(t *testing.T) {
	b := newBundle(t, "sh", "-c", `
		touch /x 2>/dev/null && echo root-writable || echo root-readonly
		touch /tmp/y 2>/dev/null && echo tmp-writable || echo tmp-readonly
		cat /proc/keys | wc -c
		echo 1 > /proc/sys/vm/overcommit_memory 2>/dev/null && echo sys-writable || echo sys-readonly`)
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"})
	b.write()
	want := "root-readonly\ntmp-writable\n0\nsys-readonly\n"
	if out := b.must("run", "ro"); out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

// TestHuskrtUserNamespace maps container root to an unprivileged host
// range: inside, the process is root; outside, it is the mapped uid.
func TestHuskrtUserNamespace(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		skip(t, "no user namespaces:", err)
	}
	b := newBundle(t, "sh", "-c", "id -u; cat /proc/self/uid_map; sleep 100")
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	b.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	// The rootfs must be reachable and owned by the mapped root.
	chownTree(t, filepath.Join(b.dir, "rootfs"), 100000)
	for _, dir := range []string{filepath.Dir(b.dir), b.dir} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.write()

	pidFile := filepath.Join(t.TempDir(), "pid")
	b.must("create", "--pid-file", pidFile, "u1")
	b.must("start", "u1")
	data, _ := os.ReadFile(pidFile)
	status, _ := os.ReadFile("/proc/" + string(data) + "/status")
	if !strings.Contains(string(status), "Uid:\t100000\t100000") {
		t.Fatalf("on the host the container runs as:\n%s", grepLines(string(status), "Uid"))
	}
	out := b.must("exec", "u1", "sh", "-c", "id -u; cat /proc/self/uid_map")
	if f := strings.Fields(out); len(f) < 4 || f[0] != "0" || f[2] != "100000" || f[3] != "65536" {
		t.Fatalf("inside: %q, want uid 0 and the map 0 100000 65536", out)
	}
}

func chownTree(t *testing.T, dir string, id int) {
	t.Helper()
	err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, id, id)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHuskrtJoinNamespaceByPath runs a second container in the network
// and uts namespaces of a first, joined by path, as CRI pods do.
func TestHuskrtJoinNamespaceByPath(t *testing.T) {
	first := newBundle(t, "sleep", "100")
	first.spec.Hostname = "podhost"
	first.write()
	pidFile := filepath.Join(t.TempDir(), "pid")
	first.must("run", "-d", "--pid-file", pidFile, "pod")
	data, _ := os.ReadFile(pidFile)
	pid := string(data)

	second := newBundle(t, "sh", "-c", "hostname; readlink /proc/self/ns/net")
	for i, ns := range second.spec.Linux.Namespaces {
		switch ns.Type {
		case specs.NetworkNamespace:
			second.spec.Linux.Namespaces[i].Path = "/proc/" + pid + "/ns/net"
		case specs.UTSNamespace:
			second.spec.Linux.Namespaces[i].Path = "/proc/" + pid + "/ns/uts"
		}
	}
	second.spec.Hostname = ""
	second.write()
	out := strings.Fields(second.must("run", "member"))
	want, _ := os.Readlink("/proc/" + pid + "/ns/net")
	if len(out) != 2 || out[0] != "podhost" || out[1] != want {
		t.Fatalf("member sees %v, want podhost and %s", out, want)
	}
}

// TestHuskrtJoinNotANamespace checks the error of a namespace path that
// is a plain file: the C constructor that joins namespaces (nsenter)
// fails, and the error is one line naming the path, in Go's words.
func TestHuskrtJoinNotANamespace(t *testing.T) {
	b := newBundle(t, "true")
	file := filepath.Join(t.TempDir(), "not-a-namespace")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, ns := range b.spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			b.spec.Linux.Namespaces[i].Path = file
		}
	}
	b.write()
	r := b.rt("run", "lost")
	want := "setns " + file + ": invalid argument"
	if r.code == 0 || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q: want a failure whose one line says %q", r.code, r.stderr, want)
	}
	t.Logf("huskrt said: %s", strings.TrimSpace(r.stderr))
}

// TestHuskrtPersonalityAndOOMScore checks linux.personality (uname -m
// says i686 under LINUX32) and process.oomScoreAdj.
func TestHuskrtPersonalityAndOOMScore(t *testing.T) {
	b := newBundle(t, "sh", "-c", "uname -m; cat /proc/self/oom_score_adj")
	b.spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	adj := 500
	b.spec.Process.OOMScoreAdj = &adj
	b.write()
	if out := b.must("run", "pers"); out != "i686\n500\n" {
		t.Fatalf("got %q, want i686 and 500", out)
	}
}

package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// checks pairs each probe with the assertion on its result.
type checks struct {
	probes  []probe
	asserts []func(*testing.T, probeResult)
}

func (c *checks) add(p probe, f func(*testing.T, probeResult)) {
	c.probes = append(c.probes, p)
	c.asserts = append(c.asserts, func(t *testing.T, r probeResult) {
		t.Helper()
		if f != nil {
			f(t, r)
		}
	})
}

// verify runs each assertion on its result, under the probe's name.
func (c *checks) verify(t *testing.T, rep childReport) {
	t.Helper()
	if rep.SetupError != "" {
		t.Fatalf("Setup: %s", rep.SetupError)
	}
	if len(rep.Results) != len(c.probes) {
		t.Fatalf("got %d probe results, want %d", len(rep.Results), len(c.probes))
	}
	for i, p := range c.probes {
		t.Run(p.Op+" "+p.Path, func(t *testing.T) { c.asserts[i](t, rep.Results[i]) })
	}
}

func ok(t *testing.T, r probeResult) {
	t.Helper()
	if r.Errno != 0 {
		t.Errorf("error %s, want success", r.Err)
	}
}

func errno(want unix.Errno) func(*testing.T, probeResult) {
	return func(t *testing.T, r probeResult) {
		t.Helper()
		if unix.Errno(r.Errno) != want {
			t.Errorf("result %q (errno %d), want %v", r.Err, r.Errno, want)
		}
	}
}

func data(want string) func(*testing.T, probeResult) {
	return func(t *testing.T, r probeResult) {
		t.Helper()
		ok(t, r)
		if r.Data != want {
			t.Errorf("data %q, want %q", r.Data, want)
		}
	}
}

func fsType(want int64) func(*testing.T, probeResult) {
	return func(t *testing.T, r probeResult) {
		t.Helper()
		ok(t, r)
		if r.FSType != want {
			t.Errorf("f_type %#x, want %#x", r.FSType, want)
		}
	}
}

func link(want string) func(*testing.T, probeResult) {
	return func(t *testing.T, r probeResult) {
		t.Helper()
		ok(t, r)
		if r.Link != want {
			t.Errorf("symlink to %q, want %q", r.Link, want)
		}
	}
}

func charDev(major, minor, perm, uid, gid uint32) func(*testing.T, probeResult) {
	return func(t *testing.T, r probeResult) {
		t.Helper()
		ok(t, r)
		if r.Mode != unix.S_IFCHR|perm || r.Major != major || r.Minor != minor ||
			r.UID != uid || r.GID != gid {
			t.Errorf("mode %#o %d:%d owner %d:%d, want %#o %d:%d owner %d:%d",
				r.Mode, r.Major, r.Minor, r.UID, r.GID,
				unix.S_IFCHR|perm, major, minor, uid, gid)
		}
	}
}

// mountAt returns the topmost mount at point in a report.
func mountAt(t *testing.T, rep childReport, point string) mountInfo {
	t.Helper()
	var found *mountInfo
	for i, m := range rep.Mounts {
		if m.MountPoint == point {
			found = &rep.Mounts[i]
		}
	}
	if found == nil {
		t.Fatalf("no mount at %q in the container", point)
	}
	return *found
}

func hasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

func TestSetupFull(t *testing.T) {
	requireRoot(t)
	root := busyboxRootfs(t, "etc", "rodir", "secretdir")
	writeFile(t, filepath.Join(root, "secret"), "top secret")
	writeFile(t, filepath.Join(root, "secretdir/file"), "s")
	writeFile(t, filepath.Join(root, "rodir/f"), "r")
	writeFile(t, filepath.Join(root, "rofile"), "f")
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "hello"), "hi")
	hostsFile := filepath.Join(t.TempDir(), "hosts")
	writeFile(t, hostsFile, "127.0.0.1 localhost\n")

	u32 := func(v uint32) *uint32 { return &v }
	mode := func(m os.FileMode) *os.FileMode { return &m }
	spec := &specs.Spec{
		Root: &specs.Root{Path: root},
		Mounts: append(DefaultMounts(),
			specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "nodev", "size=1m", "mode=1777"}},
			specs.Mount{Destination: "/mnt/data", Type: "bind", Source: src,
				Options: []string{"rbind", "ro", "nosuid"}},
			specs.Mount{Destination: "/etc/deep/hosts", Type: "bind", Source: hostsFile,
				Options: []string{"bind", "ro"}},
		),
		Linux: &specs.Linux{
			Devices: []specs.LinuxDevice{
				{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0, FileMode: mode(0o620), GID: u32(5)},
				{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: mode(0o600)},
			},
			Sysctl:        map[string]string{"net.ipv4.ip_forward": "1"},
			MaskedPaths:   append(DefaultMaskedPaths(), "/secret", "/secretdir", "/no/such/path"),
			ReadonlyPaths: append(DefaultReadonlyPaths(), "/rodir", "/rofile", "/no/such/dir"),
		},
	}
	cgroupFS := int64(unix.TMPFS_MAGIC)
	if hostCgroup2() {
		cgroupFS = unix.CGROUP2_SUPER_MAGIC
	}

	var c checks
	// /dev: nodes, owners, modes and links.
	c.add(probe{Op: "stat", Path: "/dev/null"}, charDev(1, 3, 0o666, 0, 0))
	c.add(probe{Op: "stat", Path: "/dev/zero"}, charDev(1, 5, 0o666, 0, 0))
	c.add(probe{Op: "stat", Path: "/dev/full"}, charDev(1, 7, 0o666, 0, 0))
	c.add(probe{Op: "stat", Path: "/dev/random"}, charDev(1, 8, 0o666, 0, 0))
	c.add(probe{Op: "stat", Path: "/dev/urandom"}, charDev(1, 9, 0o666, 0, 0))
	c.add(probe{Op: "stat", Path: "/dev/tty"}, charDev(5, 0, 0o620, 0, 5))
	c.add(probe{Op: "stat", Path: "/dev/fuse"}, charDev(10, 229, 0o600, 0, 0))
	c.add(probe{Op: "stat", Path: "/dev/ptmx"}, charDev(5, 2, 0o666, 0, 0))
	c.add(probe{Op: "lstat", Path: "/dev/ptmx"}, link("pts/ptmx"))
	c.add(probe{Op: "lstat", Path: "/dev/fd"}, link("/proc/self/fd"))
	c.add(probe{Op: "lstat", Path: "/dev/stdin"}, link("/proc/self/fd/0"))
	c.add(probe{Op: "lstat", Path: "/dev/stdout"}, link("/proc/self/fd/1"))
	c.add(probe{Op: "lstat", Path: "/dev/stderr"}, link("/proc/self/fd/2"))
	c.add(probe{Op: "lstat", Path: "/dev/core"}, link("/proc/kcore"))
	c.add(probe{Op: "write", Path: "/dev/null", Data: "x"}, ok)
	// Filesystems of the default mounts; /proc is the container's own.
	c.add(probe{Op: "statfs", Path: "/proc"}, fsType(unix.PROC_SUPER_MAGIC))
	c.add(probe{Op: "lstat", Path: "/proc/self"}, link("1"))
	c.add(probe{Op: "statfs", Path: "/dev"}, fsType(unix.TMPFS_MAGIC))
	c.add(probe{Op: "statfs", Path: "/dev/pts"}, fsType(unix.DEVPTS_SUPER_MAGIC))
	c.add(probe{Op: "statfs", Path: "/dev/shm"}, fsType(unix.TMPFS_MAGIC))
	c.add(probe{Op: "statfs", Path: "/dev/mqueue"}, fsType(mqueueMagic))
	c.add(probe{Op: "statfs", Path: "/sys"}, fsType(unix.SYSFS_MAGIC))
	c.add(probe{Op: "statfs", Path: "/sys/fs/cgroup"}, fsType(cgroupFS))
	c.add(probe{Op: "write", Path: "/sys/fs/cgroup/x"}, errno(unix.EROFS))
	// tmpfs with a size and mode.
	c.add(probe{Op: "statfs", Path: "/tmp"}, func(t *testing.T, r probeResult) {
		fsType(unix.TMPFS_MAGIC)(t, r)
		if r.Bytes != 1<<20 {
			t.Errorf("size %d, want 1 MiB", r.Bytes)
		}
	})
	c.add(probe{Op: "stat", Path: "/tmp"}, func(t *testing.T, r probeResult) {
		ok(t, r)
		if r.Mode&0o7777 != 0o1777 {
			t.Errorf("mode %#o, want 01777", r.Mode&0o7777)
		}
	})
	c.add(probe{Op: "write", Path: "/tmp/ok", Data: "x"}, ok)
	// The root stays writable (TestSetupReadonlyRoot covers the opposite),
	// so EROFS below comes from the read-only mounts.
	c.add(probe{Op: "write", Path: "/newfile", Data: "x"}, ok)
	// Read-only binds of a directory and of a file (target made as a file).
	c.add(probe{Op: "read", Path: "/mnt/data/hello"}, data("hi"))
	c.add(probe{Op: "write", Path: "/mnt/data/new", Data: "x"}, errno(unix.EROFS))
	c.add(probe{Op: "read", Path: "/etc/deep/hosts"}, data("127.0.0.1 localhost\n"))
	c.add(probe{Op: "write", Path: "/etc/deep/hosts", Data: "x"}, errno(unix.EROFS))
	// Masked paths.
	// (This kernel may lack /proc/kcore and /proc/sysrq-trigger; missing
	// paths are skipped, which the default lists rely on.)
	c.add(probe{Op: "read", Path: "/proc/keys"}, data(""))
	c.add(probe{Op: "read", Path: "/proc/interrupts"}, data(""))
	c.add(probe{Op: "write", Path: "/proc/acpi/x"}, errno(unix.EROFS))
	c.add(probe{Op: "read", Path: "/secret"}, data(""))
	c.add(probe{Op: "readdir", Path: "/secretdir"}, func(t *testing.T, r probeResult) {
		ok(t, r)
		if len(r.Names) != 0 {
			t.Errorf("masked directory lists %q, want nothing", r.Names)
		}
	})
	c.add(probe{Op: "write", Path: "/secretdir/x", Data: "x"}, errno(unix.EROFS))
	c.add(probe{Op: "readdir", Path: "/sys/firmware"}, func(t *testing.T, r probeResult) {
		ok(t, r)
		if len(r.Names) != 0 {
			t.Errorf("masked /sys/firmware lists %q, want nothing", r.Names)
		}
	})
	// Sysctl written before /proc/sys became read-only.
	c.add(probe{Op: "read", Path: "/proc/sys/net/ipv4/ip_forward"}, data("1\n"))
	c.add(probe{Op: "write", Path: "/proc/sys/net/ipv4/ip_forward", Data: "0"}, errno(unix.EROFS))
	c.add(probe{Op: "write", Path: "/rofile", Data: "x"}, errno(unix.EROFS))
	c.add(probe{Op: "read", Path: "/rofile"}, data("f"))
	c.add(probe{Op: "read", Path: "/rodir/f"}, data("r"))
	c.add(probe{Op: "write", Path: "/rodir/new", Data: "x"}, errno(unix.EROFS))
	// The rootfs works for a real program.
	c.add(probe{Op: "exec", Path: "/bin/busybox", Data: "echo ok"}, data("ok\n"))

	rep := runChild(t, Config{Spec: spec}, c.probes, childOptions{})
	c.verify(t, rep)

	if rep.Cwd != "/" {
		t.Errorf("cwd after Setup = %q, want /", rep.Cwd)
	}
	for point, opts := range map[string][]string{
		"/":               {"rw"},
		"/rodir":          {"ro"},
		"/mnt/data":       {"ro", "nosuid"},
		"/etc/deep/hosts": {"ro"},
		"/proc/sys":       {"ro", "nosuid", "nodev", "noexec"},
		"/tmp":            {"rw", "nosuid", "nodev"},
		"/dev":            {"rw", "nosuid"},
	} {
		m := mountAt(t, rep, point)
		for _, o := range opts {
			if !hasOption(m.Options, o) {
				t.Errorf("mount at %q has options %q, want %q among them", point, m.Options, o)
			}
		}
	}
	for _, m := range rep.Mounts {
		if m.MountPoint == "/dev/null" {
			t.Errorf("/dev/null is a bind mount; as real root it should be a node")
		}
		if m.FSType == "devtmpfs" || strings.HasPrefix(m.MountPoint, root) {
			t.Errorf("old root still visible in the container: %+v", m)
		}
	}
}

// mqueueMagic is MQUEUE_MAGIC from <linux/magic.h>, not in x/sys/unix.
const mqueueMagic = 0x19800202

func TestSetupReadonlyRoot(t *testing.T) {
	requireRoot(t)
	root := busyboxRootfs(t)
	// The caller's path may go through a symlink.
	viaLink := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(root, viaLink); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{
		Root: &specs.Root{Path: viaLink, Readonly: true},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nodev"}},
		},
	}
	var c checks
	c.add(probe{Op: "write", Path: "/newfile", Data: "x"}, errno(unix.EROFS))
	c.add(probe{Op: "write", Path: "/bin/busybox", Data: "x"}, errno(unix.EROFS))
	c.add(probe{Op: "write", Path: "/tmp/x", Data: "x"}, ok) // submounts keep their own flags
	rep := runChild(t, Config{Spec: spec}, c.probes, childOptions{})
	c.verify(t, rep)
	if m := mountAt(t, rep, "/"); !hasOption(m.Options, "ro") {
		t.Errorf("root mount options %q, want ro", m.Options)
	}
	if _, err := os.Stat(filepath.Join(root, "newfile")); err == nil {
		t.Errorf("write to the read-only root reached the host directory")
	}
}

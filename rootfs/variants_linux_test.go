package rootfs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestSetupRootfsPropagation runs Setup with each rootfs propagation and
// checks what the new root ends up with; "shared" and "unbindable" need
// the extra steps around pivot_root (see makePrivateIfShared and
// initialPropagation).
func TestSetupRootfsPropagation(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		prop string
		want string // an optional mountinfo field of "/", or "" for none required
	}{
		{prop: ""},
		{prop: "slave"},
		{prop: "rslave"},
		{prop: "private"},
		{prop: "rprivate"},
		{prop: "shared", want: "shared:"},
		{prop: "rshared", want: "shared:"},
		{prop: "unbindable", want: "unbindable"},
		{prop: "runbindable", want: "unbindable"},
	}
	for _, tt := range tests {
		t.Run("propagation "+tt.prop, func(t *testing.T) {
			root := busyboxRootfs(t)
			src := t.TempDir()
			spec := &specs.Spec{
				Root: &specs.Root{Path: root},
				Mounts: []specs.Mount{
					{Destination: "/proc", Type: "proc", Source: "proc"},
					{Destination: "/vol", Type: "bind", Source: src, Options: []string{"rbind"}},
				},
				Linux: &specs.Linux{RootfsPropagation: tt.prop},
			}
			rep := runChild(t, Config{Spec: spec}, nil, childOptions{})
			if rep.SetupError != "" {
				t.Fatalf("Setup: %s", rep.SetupError)
			}
			m := mountAt(t, rep, "/")
			opt := strings.Join(m.Optional, " ")
			switch {
			case tt.want != "" && !strings.Contains(opt, tt.want):
				t.Errorf("root mount propagation %q, want %q", opt, tt.want)
			case tt.prop == "private" || tt.prop == "rprivate":
				if opt != "" {
					t.Errorf("root mount propagation %q, want private", opt)
				}
			}
		})
	}
}

// TestSetupOverlayRoot mounts the rootfs as an overlay, as an image
// container does: writes land in the upper directory only.
func TestSetupOverlayRoot(t *testing.T) {
	requireRoot(t)
	if fs, err := os.ReadFile("/proc/filesystems"); err != nil ||
		!bytes.Contains(fs, []byte("\toverlay\n")) {
		t.Skip("needs overlayfs in /proc/filesystems (modprobe overlay)")
	}
	lower := busyboxRootfs(t)
	dir := t.TempDir()
	upper := filepath.Join(dir, "upper")
	work := filepath.Join(dir, "work")
	merged := filepath.Join(dir, "merged")
	for _, d := range []string{upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{
		Spec: &specs.Spec{
			Root:   &specs.Root{Path: merged},
			Mounts: []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}},
		},
		RootMount: &specs.Mount{
			Type: "overlay", Source: "overlay",
			Options: []string{
				"lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work,
			},
		},
	}
	var c checks
	c.add(probe{Op: "write", Path: "/fromcontainer", Data: "x"}, ok)
	c.add(probe{Op: "stat", Path: "/bin/busybox"}, ok)
	c.add(probe{Op: "statfs", Path: "/"}, fsType(unix.OVERLAYFS_SUPER_MAGIC))
	rep := runChild(t, cfg, c.probes, childOptions{})
	c.verify(t, rep)

	if _, err := os.Stat(filepath.Join(upper, "fromcontainer")); err != nil {
		t.Errorf("container write not in the upper dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(lower, "fromcontainer")); err == nil {
		t.Errorf("container write reached the lower dir")
	}
	if ents, _ := os.ReadDir(merged); len(ents) != 0 {
		t.Errorf("mount point %q is not empty on the host: the overlay outlived the child", merged)
	}
}

// TestSetupUserNamespace runs Setup as root of a user namespace that does
// not own the network namespace: mknod is refused, so device nodes are
// binds of the host's, and sysfs falls back to a bind of the host's /sys.
func TestSetupUserNamespace(t *testing.T) {
	requireRoot(t)
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil &&
		strings.TrimSpace(string(b)) == "0" {
		t.Skip("needs user namespaces (user.max_user_namespaces is 0)")
	}
	root := busyboxRootfs(t)
	spec := &specs.Spec{
		Root:   &specs.Root{Path: root, Readonly: true},
		Mounts: DefaultMounts(),
		Linux: &specs.Linux{
			MaskedPaths:   DefaultMaskedPaths(),
			ReadonlyPaths: DefaultReadonlyPaths(),
		},
	}
	var c checks
	c.add(probe{Op: "stat", Path: "/dev/null"}, func(t *testing.T, r probeResult) {
		ok(t, r)
		if r.Mode&unix.S_IFMT != unix.S_IFCHR || r.Major != 1 || r.Minor != 3 {
			t.Errorf("/dev/null mode %#o %d:%d, want the null device", r.Mode, r.Major, r.Minor)
		}
	})
	c.add(probe{Op: "write", Path: "/dev/null", Data: "x"}, ok)
	c.add(probe{Op: "stat", Path: "/dev/zero"}, func(t *testing.T, r probeResult) {
		ok(t, r)
		if r.Major != 1 || r.Minor != 5 {
			t.Errorf("/dev/zero is %d:%d, want 1:5", r.Major, r.Minor)
		}
	})
	c.add(probe{Op: "statfs", Path: "/sys"}, fsType(unix.SYSFS_MAGIC))
	c.add(probe{Op: "write", Path: "/sys/x"}, errno(unix.EROFS))
	c.add(probe{Op: "read", Path: "/proc/keys"}, data(""))
	c.add(probe{Op: "write", Path: "/newfile"}, errno(unix.EROFS))
	flags := allNamespaces &^ unix.CLONE_NEWNET
	opts := childOptions{cloneflags: uintptr(flags), userns: true}
	rep := runChild(t, Config{Spec: spec}, c.probes, opts)
	c.verify(t, rep)
	// A bind of the host's node shows as a mount; a mknod'ed one does not.
	mountAt(t, rep, "/dev/null")
}

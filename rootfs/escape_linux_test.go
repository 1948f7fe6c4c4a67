package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestSetupSymlinkEscape checks that a symlink in the image cannot send a
// mount, or the directories made for it, out of the rootfs: the mount
// lands inside the rootfs or Setup fails, and the host directory the
// symlink names stays untouched.
func TestSetupSymlinkEscape(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name string
		// link returns the target of the rootfs's /etc symlink.
		link func(hostDir string) string
		// inside makes the symlink resolve to an existing directory
		// within the rootfs; otherwise it dangles there.
		inside  bool
		wantErr bool
	}{
		{
			name:    "absolute link to a host dir, dangling in the rootfs",
			link:    func(h string) string { return h },
			wantErr: true,
		},
		{
			name:   "absolute link to a host dir that also exists in the rootfs",
			link:   func(h string) string { return h },
			inside: true,
		},
		{
			name:   "relative link climbing above the rootfs",
			link:   func(h string) string { return strings.Repeat("../", 20) + strings.TrimPrefix(h, "/") },
			inside: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostDir := t.TempDir()
			root := busyboxRootfs(t)
			if err := os.Symlink(tt.link(hostDir), filepath.Join(root, "etc")); err != nil {
				t.Fatal(err)
			}
			if tt.inside {
				if err := os.MkdirAll(filepath.Join(root, hostDir), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			src := t.TempDir()
			writeFile(t, filepath.Join(src, "marker"), "from the bind source")
			spec := &specs.Spec{
				Root: &specs.Root{Path: root},
				Mounts: []specs.Mount{
					{Destination: "/etc/x", Type: "tmpfs", Source: "tmpfs"},
					{Destination: "/etc/y/z", Type: "bind", Source: src, Options: []string{"rbind"}},
				},
			}
			var c checks
			c.add(probe{Op: "statfs", Path: "/etc/x"}, fsType(unix.TMPFS_MAGIC))
			c.add(probe{Op: "read", Path: "/etc/y/z/marker"}, data("from the bind source"))
			rep := runChild(t, Config{Spec: spec}, c.probes, childOptions{})

			if tt.wantErr {
				if rep.SetupError == "" {
					t.Errorf("Setup succeeded, want an error for a link dangling in the rootfs")
				} else if !strings.Contains(rep.SetupError, "/etc") {
					t.Errorf("Setup error %q does not name the path", rep.SetupError)
				}
			} else {
				c.verify(t, rep)
				for _, d := range []string{"x", "y/z"} {
					if _, err := os.Stat(filepath.Join(root, hostDir, d)); err != nil {
						t.Errorf("mount target not made inside the rootfs: %v", err)
					}
				}
			}
			ents, err := os.ReadDir(hostDir)
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) != 0 {
				t.Errorf("host dir %q gained %d entries, first %q", hostDir, len(ents), ents[0].Name())
			}
		})
	}
}

// TestSetupMountErrorNamesArguments checks that a failing mount reports
// source, target, type, flags and data, and that a spec error stops Setup
// before it mounts anything.
func TestSetupMountErrorNamesArguments(t *testing.T) {
	requireRoot(t)
	root := busyboxRootfs(t)
	spec := &specs.Spec{
		Root: &specs.Root{Path: root},
		Mounts: []specs.Mount{{
			Destination: "/bad", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "size=notanumber"},
		}},
	}
	rep := runChild(t, Config{Spec: spec}, nil, childOptions{})
	for _, part := range []string{
		`"tmpfs"`, `"` + filepath.Join(root, "bad") + `"`, "MS_NOSUID", `"size=notanumber"`,
	} {
		if !strings.Contains(rep.SetupError, part) {
			t.Errorf("Setup error %q does not mention %s", rep.SetupError, part)
		}
	}

	spec.Mounts = []specs.Mount{
		{Destination: "/ok", Type: "tmpfs", Source: "tmpfs"},
		{Destination: "/nothing", Source: "/x"},
	}
	rep = runChild(t, Config{Spec: spec}, nil, childOptions{})
	if !strings.Contains(rep.SetupError, "no type") {
		t.Errorf("Setup error %q, want the planning error", rep.SetupError)
	}
	if _, err := os.Stat(filepath.Join(root, "ok")); err == nil {
		t.Errorf("Setup made /ok before it rejected the spec")
	}

	spec.Mounts = nil
	spec.Linux = &specs.Linux{RootfsPropagation: "sideways"}
	rep = runChild(t, Config{Spec: spec}, nil, childOptions{})
	if !strings.Contains(rep.SetupError, `"sideways"`) {
		t.Errorf("Setup error %q, want the bad propagation named", rep.SetupError)
	}
	rep = runChild(t, Config{Spec: &specs.Spec{}}, nil, childOptions{})
	if !strings.Contains(rep.SetupError, "no root") {
		t.Errorf("Setup error %q for a spec without root", rep.SetupError)
	}
}

package image

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// mkimage runs scripts/<script> with args and returns the layout dir.
func mkimage(t *testing.T, script string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layout")
	if b, err := runScript(t, script, append([]string{"-o", out}, args...)...); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, b)
	}
	return out
}

// runScript runs scripts/<script> with TMPDIR set to an empty directory of
// its own and fails t when the script leaves anything there, whether it
// succeeds or not.
func runScript(t *testing.T, script string, args ...string) ([]byte, error) {
	t.Helper()
	for _, tool := range []string{"bash", "tar", "gzip", "zstd", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("scripts/%s needs %s: %v", script, tool, err)
		}
	}
	tmp := t.TempDir()
	cmd := exec.Command(filepath.Join("..", "scripts", script), args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	b, err := cmd.CombinedOutput()
	if left := entries(t, tmp); len(left) != 0 {
		t.Errorf("%s left %v in its TMPDIR", cmd, left)
	}
	return b, err
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, p, []byte(body))
	}
	return dir
}

// mountOverlay mounts m at a temp dir and unmounts it when t ends.
func mountOverlay(t *testing.T, s *Store, img *Image, upper, work string, above ...string) string {
	t.Helper()
	m := s.RootfsMount(img, upper, work, above...)
	if err := s.CheckMountSize(m); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	data := strings.Join(m.Options, ",")
	err := unix.Mount(m.Source, target, m.Type, 0, data)
	if errors.Is(err, unix.ENODEV) {
		t.Skip("overlayfs not available")
	}
	if err != nil {
		t.Fatalf("mount overlay %q on %q: %v", data, target, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %q: %v", target, err)
		}
	})
	return target
}

// TestMkimageOverlay builds a two-layer image with scripts/mkimage whose top
// layer deletes a file (whiteout) and hides a directory's lower content
// (opaque), imports it and checks the merged overlay view.
func TestMkimageOverlay(t *testing.T) {
	requireRoot(t)
	bottom := writeTree(t, map[string]string{
		"etc/keep": "1", "etc/gone": "x", "opq/old": "old", "dir/a": "a",
	})
	top := writeTree(t, map[string]string{
		"etc/keep": "2", "etc/.wh.gone": "", "opq/.wh..wh..opq": "", "opq/new": "new", "dir/b": "b",
	})
	for _, comp := range []string{"gzip", "zstd", "none"} {
		t.Run(comp, func(t *testing.T) {
			layout := mkimage(t, "mkimage", "-n", "layers:"+comp, "-z", comp, "-c", "/bin/sh", "--", bottom, top)
			s := newStore(t)
			img, err := s.Import(layout, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(img.Layers) != 2 || img.Names[0] != "layers:"+comp || img.Config.Config.Cmd[0] != "/bin/sh" {
				t.Fatalf("image %+v", img)
			}
			scratch := t.TempDir()
			upper, work := filepath.Join(scratch, "upper"), filepath.Join(scratch, "work")
			os.Mkdir(upper, 0o755)
			os.Mkdir(work, 0o755)
			root := mountOverlay(t, s, img, upper, work)
			want := map[string]string{"etc/keep": "2", "opq/new": "new", "dir/a": "a", "dir/b": "b"}
			for name, body := range want {
				if b, err := os.ReadFile(filepath.Join(root, name)); err != nil || string(b) != body {
					t.Errorf("%s = %q, %v; want %q", name, b, err, body)
				}
			}
			for _, name := range []string{"etc/gone", "opq/old", "etc/.wh.gone", "opq/.wh..wh..opq"} {
				if _, err := os.Lstat(filepath.Join(root, name)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s visible in the merged view: %v", name, err)
				}
			}
		})
	}
}

func TestMkimageBusybox(t *testing.T) {
	requireRoot(t)
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skipf("needs /bin/busybox (busybox-static): %v", err)
	}
	layout := mkimage(t, "mkimage-busybox")
	s := newStore(t)
	img, err := s.Import(layout, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(img.Names, ",") != "busybox:latest" {
		t.Errorf("names %v", img.Names)
	}
	dir := s.LayerDirs(img)[0]
	if target, err := os.Readlink(filepath.Join(dir, "bin", "sh")); err != nil || target != "/bin/busybox" {
		t.Errorf("bin/sh -> %q, %v", target, err)
	}
	passwd, _ := os.ReadFile(filepath.Join(dir, "etc", "passwd"))
	if !strings.Contains(string(passwd), "nobody:x:65534:65534:") {
		t.Errorf("etc/passwd = %q", passwd)
	}
	if st := lstat(t, filepath.Join(dir, "tmp")); st.Mode&0o7777 != 0o1777 {
		t.Errorf("tmp mode %o, want 1777", st.Mode&0o7777)
	}
	// The same input gives the same image: tars and config are
	// deterministic. Import the rebuild as an archive made by GNU tar, whose
	// member names start with "./".
	archive := filepath.Join(t.TempDir(), "busybox.tar.gz")
	tarCmd := exec.Command("tar", "-C", mkimage(t, "mkimage-busybox"), "-czf", archive, ".")
	if b, err := tarCmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", tarCmd, err, b)
	}
	again, err := s.Import(archive, ImportOptions{Name: "rebuilt"})
	if err != nil || again.ID != img.ID {
		t.Errorf("rebuild gave %v, %v; want the same id %s", again, err, img.ID)
	}
}

// TestMkimageScriptsLeaveNoTempDirs: both scripts remove their work dir
// on success and on failure. mkimage-busybox used to exec mkimage, so its
// EXIT trap never ran and every build left a rootfs under /tmp.
func TestMkimageScriptsLeaveNoTempDirs(t *testing.T) {
	layer := writeTree(t, map[string]string{"a": "a"})
	// mkimage dies while writing the config (a control character in the
	// layer's name), after making its work dir.
	bad := filepath.Join(t.TempDir(), "bad\x01name")
	if err := os.Rename(layer, bad); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "layout")
	if b, err := runScript(t, "mkimage", "-o", out, "-n", "x:1", "--", bad); err == nil {
		t.Errorf("mkimage accepted a control character in a layer name:\n%s", b)
	}
	mkimage(t, "mkimage", "-n", "x:1", "--", writeTree(t, map[string]string{"a": "a"}))

	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skipf("needs /bin/busybox (busybox-static): %v", err)
	}
	mkimage(t, "mkimage-busybox")
	// mkimage refuses the compression after mkimage-busybox built its
	// rootfs.
	out = filepath.Join(t.TempDir(), "layout")
	if b, err := runScript(t, "mkimage-busybox", "-o", out, "-z", "bogus"); err == nil {
		t.Errorf("mkimage-busybox accepted -z bogus:\n%s", b)
	}
}

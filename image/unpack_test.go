package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// unpackTar unpacks data into a fresh layer dir and returns it.
func unpackTar(t *testing.T, data []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layer")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Unpack(bytes.NewReader(data), dir)
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	if want := sha(data); got != want {
		t.Fatalf("Unpack diff_id = %s, want %s", got, want)
	}
	return dir
}

func lstat(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func mtime(st unix.Stat_t) time.Time { return time.Unix(st.Mtim.Unix()).UTC() }

func checkStat(t *testing.T, dir, name string, typ, perm uint32, uid, gid int) unix.Stat_t {
	t.Helper()
	st := lstat(t, filepath.Join(dir, name))
	if st.Mode&unix.S_IFMT != typ || st.Mode&0o7777 != perm {
		t.Errorf("%s: mode %o, want type %o perm %o", name, st.Mode, typ, perm)
	}
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s: owner %d:%d, want %d:%d", name, st.Uid, st.Gid, uid, gid)
	}
	return st
}

func TestUnpackFilesModesOwners(t *testing.T) {
	requireRoot(t)
	suid := fileEnt("bin/su", "su")
	suid.h.Mode, suid.h.Uid, suid.h.Gid = 0o4755, 1000, 1001
	sgid := fileEnt("bin/wall", "wall")
	sgid.h.Mode, sgid.h.Gid = 0o2711, 5
	sticky := dirEnt("./tmp/")
	sticky.h.Mode = 0o1777
	priv := dirEnt("home/u/")
	priv.h.Mode, priv.h.Uid, priv.h.Gid = 0o750, 1000, 1000
	root := dirEnt("./")
	root.h.Mode = 0o755
	dir := unpackTar(t, makeTar(t, root, suid, sgid, sticky, priv,
		fileEnt("home/u/notes", "n"), fileEnt("deep/implicit/file", "x"),
		fileEnt("dup", "old"), fileEnt("./dup", "new")))

	checkStat(t, dir, "bin/su", unix.S_IFREG, 0o4755, 1000, 1001)
	checkStat(t, dir, "bin/wall", unix.S_IFREG, 0o2711, 0, 5)
	checkStat(t, dir, "tmp", unix.S_IFDIR, 0o1777, 0, 0)
	checkStat(t, dir, "home/u", unix.S_IFDIR, 0o750, 1000, 1000)
	checkStat(t, dir, "deep/implicit", unix.S_IFDIR, 0o755, 0, 0)
	if b, _ := os.ReadFile(filepath.Join(dir, "dup")); string(b) != "new" {
		t.Errorf("dup = %q, a later entry must replace an earlier one", b)
	}
	// Directory mtimes are set after their content is written.
	for _, name := range []string{"bin/su", "home/u", "tmp", "."} {
		if got := mtime(lstat(t, filepath.Join(dir, name))); !got.Equal(t0) {
			t.Errorf("%s: mtime %v, want %v", name, got, t0)
		}
	}
}

func TestUnpackLinks(t *testing.T) {
	requireRoot(t)
	outside := t.TempDir()
	rel := symlinkEnt("lib/rel", "../etc/passwd")
	rel.h.Uid, rel.h.Gid = 7, 8
	dir := unpackTar(t, makeTar(t,
		fileEnt("etc/passwd", "root"),
		rel,
		symlinkEnt("abs", "/etc/passwd"),
		symlinkEnt("escape", "../../../../"+outside),
		hardlinkEnt("etc/passwd-", "etc/passwd"),
		hardlinkEnt("lib/linked-symlink", "abs"),
		// Replacing a symlink must not write through it.
		symlinkEnt("trap", filepath.Join(outside, "victim")),
		fileEnt("trap", "replaced"),
	))
	for name, want := range map[string]string{
		"lib/rel": "../etc/passwd", "abs": "/etc/passwd", "lib/linked-symlink": "/etc/passwd",
		"escape": "../../../../" + outside,
	} {
		if got, err := os.Readlink(filepath.Join(dir, name)); err != nil || got != want {
			t.Errorf("readlink %s = %q, %v; want %q", name, got, err, want)
		}
	}
	st := checkStat(t, dir, "lib/rel", unix.S_IFLNK, 0o777, 7, 8)
	if !mtime(st).Equal(t0) {
		t.Errorf("symlink mtime %v, want %v (set with AT_SYMLINK_NOFOLLOW)", mtime(st), t0)
	}
	a, b := lstat(t, filepath.Join(dir, "etc/passwd")), lstat(t, filepath.Join(dir, "etc/passwd-"))
	if a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("hard link: inodes %d/%d nlink %d, want shared inode and nlink 2", a.Ino, b.Ino, a.Nlink)
	}
	checkStat(t, dir, "trap", unix.S_IFREG, 0o644, 0, 0)
	if names := entries(t, outside); len(names) != 0 {
		t.Errorf("outside dir got %v, want nothing", names)
	}
}

func TestUnpackDevicesAndFifo(t *testing.T) {
	requireRoot(t)
	null := ent{h: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666,
		Devmajor: 1, Devminor: 3, ModTime: t0}}
	loop := ent{h: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/loop0", Mode: 0o660, Gid: 6,
		Devmajor: 7, Devminor: 0, ModTime: t0}}
	fifo := ent{h: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o620, ModTime: t0}}
	dir := unpackTar(t, makeTar(t, null, loop, fifo))
	st := checkStat(t, dir, "dev/null", unix.S_IFCHR, 0o666, 0, 0)
	if unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		t.Errorf("dev/null: device %d:%d, want 1:3", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	st = checkStat(t, dir, "dev/loop0", unix.S_IFBLK, 0o660, 0, 6)
	if unix.Major(st.Rdev) != 7 || unix.Minor(st.Rdev) != 0 {
		t.Errorf("dev/loop0: device %d:%d, want 7:0", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	st = checkStat(t, dir, "run/fifo", unix.S_IFIFO, 0o620, 0, 0)
	if !mtime(st).Equal(t0) {
		t.Errorf("fifo mtime %v, want %v", mtime(st), t0)
	}
}

func getxattr(t *testing.T, p, name string) (string, bool) {
	t.Helper()
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err == unix.ENODATA {
		return "", false
	}
	if err != nil {
		t.Fatalf("lgetxattr %s %s: %v", p, name, err)
	}
	return string(buf[:n]), true
}

func TestUnpackXattrs(t *testing.T) {
	requireRoot(t)
	f := fileEnt("bin/ping", "ping")
	f.h.PAXRecords = map[string]string{
		"SCHILY.xattr.user.origin":              "test",
		"SCHILY.xattr.trusted.husk":             "t",
		"SCHILY.xattr.trusted.overlay.redirect": "/etc", // must be dropped
	}
	d := dirEnt("data/")
	d.h.PAXRecords = map[string]string{"SCHILY.xattr.user.dir": "1"}
	dir := unpackTar(t, makeTar(t, f, d))
	for _, c := range []struct{ path, name, want string }{
		{"bin/ping", "user.origin", "test"},
		{"bin/ping", "trusted.husk", "t"},
		{"data", "user.dir", "1"},
	} {
		if got, ok := getxattr(t, filepath.Join(dir, c.path), c.name); !ok || got != c.want {
			t.Errorf("%s %s = %q, %v; want %q", c.path, c.name, got, ok, c.want)
		}
	}
	if v, ok := getxattr(t, filepath.Join(dir, "bin/ping"), "trusted.overlay.redirect"); ok {
		t.Errorf("trusted.overlay.redirect = %q: overlay xattrs from a layer must be dropped", v)
	}
}

func TestUnpackWhiteouts(t *testing.T) {
	requireRoot(t)
	dir := unpackTar(t, makeTar(t,
		fileEnt("etc/gone", "x"),
		fileEnt("olddir/file", "x"),
		fileEnt("etc/.wh.gone", ""),
		fileEnt(".wh.olddir", ""),
		fileEnt("var/.wh.lower-only", ""),
		dirEnt("opq/"),
		fileEnt("opq/.wh..wh..opq", ""),
		fileEnt("opq/kept", "k"),
		fileEnt(".wh..wh.plnk", ""),
	))
	for _, name := range []string{"etc/gone", "olddir", "var/lower-only"} {
		st := checkStat(t, dir, name, unix.S_IFCHR, 0, 0, 0)
		if st.Rdev != 0 {
			t.Errorf("%s: rdev %d, want 0 (overlay whiteout)", name, st.Rdev)
		}
	}
	if v, ok := getxattr(t, filepath.Join(dir, "opq"), "trusted.overlay.opaque"); !ok || v != "y" {
		t.Errorf("opq trusted.overlay.opaque = %q, %v; want y", v, ok)
	}
	if _, err := os.Stat(filepath.Join(dir, "opq/kept")); err != nil {
		t.Errorf("opaque dir lost this layer's own entry: %v", err)
	}
	for _, name := range []string{"etc/.wh.gone", "opq/.wh..wh..opq", ".wh..wh.plnk"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s: whiteout marker unpacked as a file", name)
		}
	}
}

func TestUnpackCompression(t *testing.T) {
	requireRoot(t)
	body := strings.Repeat("hello ", 1000)
	plain := makeTar(t, fileEnt("hello", body))
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, err := zstd.NewWriter(&zs)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(plain)
	zw.Close()
	for name, data := range map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "zstd": zs.Bytes()} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "layer")
			os.Mkdir(dir, 0o755)
			got, err := Unpack(bytes.NewReader(data), dir)
			if err != nil {
				t.Fatal(err)
			}
			if got != sha(plain) {
				t.Errorf("diff_id %s, want sha256 of the plain tar %s", got, sha(plain))
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "hello")); string(b) != body {
				t.Errorf("content mismatch after %s", name)
			}
		})
	}
}

// TestUnpackTruncated checks that a layer cut short reads as a read error,
// not as a failed write of the file it was in.
func TestUnpackTruncated(t *testing.T) {
	requireRoot(t)
	plain := makeTar(t, fileEnt("big", strings.Repeat("0123456789", 100000)))
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()

	_, err := Unpack(bytes.NewReader(gz.Bytes()[:gz.Len()/2]), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "read layer") || strings.Contains(err.Error(), "write") {
		t.Fatalf("Unpack(truncated) = %v, want a read error", err)
	}
}

func TestUnpackRefusesXz(t *testing.T) {
	_, err := Unpack(bytes.NewReader([]byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0}), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "xz") {
		t.Fatalf("Unpack(xz) = %v, want an error naming xz", err)
	}
}

// TestEnsureLayerDiffIDMismatch checks that a layer whose content does not
// hash to its diff_id leaves nothing in layers/ or tmp/.
func TestEnsureLayerDiffIDMismatch(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	data := makeTar(t, fileEnt("a", "a"))
	blob, _, err := s.putBlob(bytes.NewReader(data), anyBlob)
	if err != nil {
		t.Fatal(err)
	}
	wrong := sha([]byte("something else"))
	err = s.ensureLayer(blob, wrong)
	if err == nil || !strings.Contains(err.Error(), "diff_id mismatch") {
		t.Fatalf("ensureLayer = %v, want diff_id mismatch", err)
	}
	if n := entries(t, s.layersDir()); len(n) != 0 {
		t.Errorf("layers dir holds %v after a mismatch", n)
	}
	if n := entries(t, s.tmpDir()); len(n) != 0 {
		t.Errorf("tmp dir holds %v after a mismatch", n)
	}
	if err := s.ensureLayer(blob, sha(data)); err != nil {
		t.Fatalf("ensureLayer with the right diff_id: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.layerPath(sha(data)), "a")); err != nil {
		t.Error(err)
	}
}

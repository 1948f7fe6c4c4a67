package image

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// importEnts imports an image whose layers, bottom first, hold ents.
func importEnts(t *testing.T, s *Store, layers ...[]ent) *Image {
	t.Helper()
	dir := newLayout(t)
	var ls []testLayer
	for _, l := range layers {
		ls = append(ls, plainLayer(makeTar(t, l...)))
	}
	writeIndex(t, dir, addImage(t, dir, ls, nil))
	img, err := s.Import(dir, ImportOptions{Name: "targets"})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var defaultTargets = []Target{
	{Path: "/proc", Dir: true}, {Path: "/dev", Dir: true}, {Path: "/run/lock", Dir: true},
	{Path: "/etc/hosts"}, {Path: "/etc/hostname"},
}

// TestMountTargets checks that the directory holds exactly the targets the
// image lacks, that a parent the image has keeps its attributes in the
// mounted rootfs, and that the image's own files still show.
func TestMountTargets(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	etc := dirEnt("etc/")
	etc.h.Mode, etc.h.Uid, etc.h.Gid = 0o750, 7, 8
	etc.h.PAXRecords = map[string]string{paxXattrPrefix + "user.mark": "kept"}
	img := importEnts(t, s, []ent{etc, fileEnt("etc/passwd", "root:x:0:0::/:/bin/sh\n"), dirEnt("dev/")})

	dir, err := s.MountTargets(img, defaultTargets)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"etc/", "etc/hostname", "etc/hosts", "proc/", "run/", "run/lock/"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("targets dir holds %v, want %v", got, want)
	}
	if st := lstat(t, filepath.Join(dir, "etc/hosts")); st.Mode != unix.S_IFREG|0o644 || st.Size != 0 {
		t.Errorf("etc/hosts: %+v, want an empty 0644 file", st)
	}

	root := mountOverlay(t, s, img, t.TempDir(), t.TempDir(), dir)
	st := lstat(t, filepath.Join(root, "etc"))
	if st.Mode&0o7777 != 0o750 || st.Uid != 7 || st.Gid != 8 || st.Mtim.Sec != t0.Unix() {
		t.Errorf("merged /etc: %+v, want the image's mode 0750, owner 7:8 and mtime", st)
	}
	val := make([]byte, 16)
	if n, err := unix.Lgetxattr(filepath.Join(root, "etc"), "user.mark", val); err != nil || string(val[:n]) != "kept" {
		t.Errorf("merged /etc xattr user.mark = %q, %v; want kept", val[:n], err)
	}
	if data, err := os.ReadFile(filepath.Join(root, "etc/passwd")); err != nil || len(data) == 0 {
		t.Errorf("the image's /etc/passwd no longer shows: %v", err)
	}

	again, err := s.MountTargets(img, defaultTargets)
	if err != nil || again != dir {
		t.Errorf("second call: %q, %v; want %q again", again, err, dir)
	}
}

// TestMountTargetsHonoursTheImage leaves a symlinked /etc alone (the init
// resolves it inside the rootfs) and makes a file that an upper layer
// whited out.
func TestMountTargetsHonoursTheImage(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	link := importEnts(t, s, []ent{symlinkEnt("etc", "usr/etc"), dirEnt("usr/"), dirEnt("usr/etc/")})
	dir, err := s.MountTargets(link, []Target{{Path: "/etc/hosts"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); len(got) != 0 {
		t.Errorf("symlinked /etc: targets dir holds %v, want nothing", got)
	}

	wh := ent{h: tar.Header{Typeflag: tar.TypeReg, Name: "etc/.wh.hosts", Mode: 0o644, ModTime: t0}}
	deleted := importEnts(t, s, []ent{dirEnt("etc/"), fileEnt("etc/hosts", "old\n")}, []ent{wh})
	dir, err = s.MountTargets(deleted, []Target{{Path: "/etc/hosts"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); !slices.Equal(got, []string{"etc/", "etc/hosts"}) {
		t.Errorf("whited-out /etc/hosts: targets dir holds %v, want etc/hosts", got)
	}
}

// TestMountTargetsGoWithTheImage checks that removing the image removes
// its targets directory.
func TestMountTargetsGoWithTheImage(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	img := importEnts(t, s, []ent{dirEnt("etc/")})
	dir, err := s.MountTargets(img, defaultTargets)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(img.ID.String(), RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("%s is left after the image was removed", dir)
	}
}

// tree lists the paths under dir, sorted, a directory's with a slash.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		paths = append(paths, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

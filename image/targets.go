package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"husk/internal/layers"
)

// Target is a path where a container gets a mount, which must exist before
// the mount: a directory, or a file for a file's bind mount.
type Target struct {
	Path string // absolute, inside the container
	Dir  bool
}

// MountTargets returns a directory to stack above img's layers
// (RootfsMount's above) that holds, empty, those of targets img lacks and
// their missing parents. Without it the init creates them in every
// container's upper dir: busybox lacks /proc, /sys and the /etc files husk
// bind-mounts, so each container copied /etc up and made three
// directories there, which its removal deleted again; on an ext4 mounted
// with discard, as here, deleting a directory waits ~130 µs for its
// block's discard.
//
// The directory is built once per image and set of targets, at
// root/targets/<image hex>-<hash of targets>, and goes with the image
// (gc). A parent img has is made with its mode, owner, xattrs and times,
// since overlayfs shows the topmost layer's copy of a directory. A target
// below a path that img has as a non-directory (a symlinked /etc) is left
// to the init, which resolves it inside the rootfs.
func (s *Store) MountTargets(img *Image, targets []Target) (string, error) {
	final := filepath.Join(s.targetsDir(), img.ID.Encoded()+"-"+targetsKey(targets))
	if _, err := os.Lstat(final); err == nil {
		return final, nil
	}
	unlock, err := s.lock(false)
	if err != nil {
		return "", err
	}
	defer unlock()

	if err := os.MkdirAll(s.targetsDir(), 0o755); err != nil {
		return "", fmt.Errorf("mount targets: %w", err)
	}
	tmp, err := os.MkdirTemp(s.targetsDir(), ".tmp-")
	if err != nil {
		return "", fmt.Errorf("mount targets: %w", err)
	}
	if err := buildTargets(tmp, s.lowerDirs(img), targets); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("mount targets of image %s: %w", img.ID.Encoded()[:12], err)
	}
	// Another husk may have built the same directory meanwhile: either
	// copy serves.
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		if _, statErr := os.Lstat(final); statErr != nil {
			return "", fmt.Errorf("mount targets: %w", err)
		}
	}
	return final, nil
}

func (s *Store) targetsDir() string { return filepath.Join(s.root, "targets") }

// targetsKey names a set of targets, so a husk whose default mounts
// differ builds its own directory.
func targetsKey(targets []Target) string {
	h := sha256.New()
	for _, t := range targets {
		fmt.Fprintf(h, "%s %t\n", t.Path, t.Dir)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// buildTargets fills dir, whose layers below are lowers (top first).
func buildTargets(dir string, lowers []string, targets []Target) error {
	b := &targetBuilder{dir: dir, lowers: lowers, copied: map[string]*layers.Entry{}}
	root, err := layers.Lookup(lowers, ".")
	if err != nil {
		return err
	}
	if root != nil {
		b.copied["."] = root
	}
	for _, t := range targets {
		if err := b.add(t); err != nil {
			return err
		}
	}
	return b.finish()
}

type targetBuilder struct {
	dir    string
	lowers []string
	// copied are the image's directories made in dir, by their relative
	// path; their times are set last, once nothing is added under them.
	copied map[string]*layers.Entry
}

// add walks t's path down the image; at the first component the image
// lacks, it makes that component and the rest in dir.
func (b *targetBuilder) add(t Target) error {
	parts := strings.Split(strings.TrimPrefix(filepath.Clean(t.Path), "/"), "/")
	for i := range parts {
		rel := strings.Join(parts[:i+1], "/")
		e, err := layers.Lookup(b.lowers, rel)
		if errors.Is(err, layers.ErrBlocked) {
			return nil
		}
		if err != nil {
			return err
		}
		if e == nil {
			return b.create(parts, i, t.Dir)
		}
		if !e.IsDir() || i == len(parts)-1 {
			return nil // there already, or not a directory to go into
		}
		if err := b.copyDir(rel, e); err != nil {
			return err
		}
	}
	return nil
}

// create makes parts[from:] in dir: directories, and the last a directory
// or an empty file as dirLeaf says, as the init would have made them.
func (b *targetBuilder) create(parts []string, from int, dirLeaf bool) error {
	for i := from; i < len(parts); i++ {
		p := filepath.Join(b.dir, filepath.Join(parts[:i+1]...))
		var err error
		if i < len(parts)-1 || dirLeaf {
			err = os.Mkdir(p, 0o755)
		} else {
			err = unix.Mknod(p, unix.S_IFREG|0o644, 0)
		}
		if err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return nil
}

// copyDir makes the image's directory rel in dir, with its owner, mode and
// xattrs (overlay's own excepted).
func (b *targetBuilder) copyDir(rel string, e *layers.Entry) error {
	if _, done := b.copied[rel]; done {
		return nil
	}
	p := filepath.Join(b.dir, rel)
	if err := os.Mkdir(p, 0o700); err != nil {
		return err
	}
	b.copied[rel] = e
	return copyAttrs(p, e)
}

func copyAttrs(p string, e *layers.Entry) error {
	if err := unix.Lchown(p, int(e.Stat.Uid), int(e.Stat.Gid)); err != nil {
		return &os.PathError{Op: "lchown", Path: p, Err: err}
	}
	if err := unix.Chmod(p, e.Stat.Mode&0o7777); err != nil {
		return &os.PathError{Op: "chmod", Path: p, Err: err}
	}
	names, err := listXattrs(e.Path)
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(name, overlayXattrPrefix) {
			continue
		}
		val := make([]byte, 64<<10)
		n, err := unix.Lgetxattr(e.Path, name, val)
		if err != nil {
			return &os.PathError{Op: "lgetxattr " + name, Path: e.Path, Err: err}
		}
		if err := unix.Lsetxattr(p, name, val[:n], 0); err != nil {
			return &os.PathError{Op: "lsetxattr " + name, Path: p, Err: err}
		}
	}
	return nil
}

func listXattrs(path string) ([]string, error) {
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(path, buf)
	if errors.Is(err, unix.ENOTSUP) {
		return nil, nil
	}
	if err != nil {
		return nil, &os.PathError{Op: "llistxattr", Path: path, Err: err}
	}
	var names []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}

// finish gives the root and the copied directories the image's times,
// deepest first, now that nothing more is made under them.
func (b *targetBuilder) finish() error {
	if root, ok := b.copied["."]; ok {
		if err := copyAttrs(b.dir, root); err != nil {
			return err
		}
	}
	rels := make([]string, 0, len(b.copied))
	for rel := range b.copied {
		rels = append(rels, rel)
	}
	// A longer path is deeper: a parent's times are set after its children.
	sort.Slice(rels, func(i, j int) bool { return len(rels[i]) > len(rels[j]) })
	for _, rel := range rels {
		st := b.copied[rel].Stat
		ts := []unix.Timespec{st.Atim, st.Mtim}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(b.dir, rel), ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &os.PathError{Op: "utimensat", Path: rel, Err: err}
		}
	}
	return nil
}

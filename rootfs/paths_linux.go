package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// These run after pivot_root, inside the container's own root, so a path
// and any symlink on it can no longer lead to the host; plain paths are
// enough. Missing paths are skipped, as in runc: the default lists name
// files that only some kernels have.

// missing reports whether err means the path is not there.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR)
}

// maskPaths hides each path: a file under a bind of /dev/null, a
// directory under an empty read-only tmpfs.
func maskPaths(paths []string) error {
	nullChecked := false
	for _, p := range paths {
		p = filepath.Clean("/" + p)
		fi, err := os.Stat(p)
		if missing(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("mask %q: %w", p, err)
		}
		if fi.IsDir() {
			c := mountCall{Source: "tmpfs", FSType: "tmpfs", Flags: unix.MS_RDONLY}
			if err := doMount(c, p, p); err != nil {
				return fmt.Errorf("mask %q: %w", p, err)
			}
			continue
		}
		if !nullChecked {
			if err := checkDevNull(); err != nil {
				return fmt.Errorf("mask %q: %w", p, err)
			}
			nullChecked = true
		}
		c := mountCall{Source: "/dev/null", FSType: "bind", Flags: unix.MS_BIND}
		if err := doMount(c, p, p); err != nil {
			return fmt.Errorf("mask %q: %w", p, err)
		}
	}
	return nil
}

// checkDevNull makes sure /dev/null is the null device before it is put
// over files to hide them: without a fresh /dev it comes from the image,
// where it could be a file that leaks what it masks or, worse, a link.
func checkDevNull() error {
	var st unix.Stat_t
	if err := unix.Lstat("/dev/null", &st); err != nil {
		return &os.PathError{Op: "lstat", Path: "/dev/null", Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		return fmt.Errorf("/dev/null is not the null device (mode %#o, rdev %d:%d)",
			st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	return nil
}

// readonlyPaths makes each path, with everything mounted below it,
// read-only: bind it onto itself so it is a mount of its own, then set
// the read-only attribute recursively.
func readonlyPaths(paths []string) error {
	for _, p := range paths {
		p = filepath.Clean("/" + p)
		if _, err := os.Stat(p); missing(err) {
			continue
		} else if err != nil {
			return fmt.Errorf("make %q read-only: %w", p, err)
		}
		bind := mountCall{Source: p, FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC}
		if err := doMount(bind, p, p); err != nil {
			return fmt.Errorf("make %q read-only: %w", p, err)
		}
		if err := setReadonly(p); err != nil {
			return fmt.Errorf("make %q read-only: %w", p, err)
		}
	}
	return nil
}

// setReadonly makes the mount at p and its submounts read-only with
// mount_setattr(2), or, before Linux 5.12, only the mount at p with a
// remount that keeps its other flags.
func setReadonly(p string) error {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err := unix.MountSetattr(unix.AT_FDCWD, p, unix.AT_RECURSIVE, &attr)
	if err == nil {
		return nil
	}
	if err != unix.ENOSYS {
		return &os.PathError{Op: "mount_setattr", Path: p, Err: err}
	}
	return remountReadonly(p)
}

// remountReadonly makes the mount at p read-only, keeping its nosuid,
// nodev, noexec and atime flags, which a remount would otherwise clear.
func remountReadonly(p string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return &os.PathError{Op: "statfs", Path: p, Err: err}
	}
	c := mountCall{
		Source: p,
		Flags:  unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | flagsFromStatfs(st.Flags),
	}
	return doRemount(c, p, p)
}

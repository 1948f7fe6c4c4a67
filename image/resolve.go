package image

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// beneath is the openat2(2) resolve mask for every path inside a layer: stay
// under the layer directory and follow no symlink at all, so a symlink
// unpacked earlier (link -> /etc) cannot redirect a later entry (link/passwd).
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

var (
	errAbsolute = errors.New("absolute path refused")
	errEscape   = errors.New("path escapes the layer directory")
)

// cleanName turns a tar entry name into a clean path relative to the layer
// root ("." for the root itself). A leading "./" is fine; absolute names and
// names that climb out with ".." are refused.
func cleanName(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty name")
	}
	if strings.HasPrefix(name, "/") {
		return "", errAbsolute
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errEscape
	}
	return c, nil
}

// openBeneath opens the directory rel under root as an O_PATH fd, refusing
// symlinks anywhere on the way and anything outside root.
func openBeneath(root int, rel string) (int, error) {
	how := &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: beneath,
	}
	for {
		fd, err := unix.Openat2(root, rel, how)
		// EAGAIN: a concurrent rename or mount made the kernel give up on
		// RESOLVE_BENEATH; the lookup is safe to retry.
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return -1, resolveError(rel, err)
		}
		return fd, nil
	}
}

// resolveError says in words what openat2 refused.
func resolveError(rel string, err error) error {
	perr := &os.PathError{Op: "openat2", Path: rel, Err: err}
	switch {
	case errors.Is(err, unix.ELOOP):
		return fmt.Errorf("directory %q goes through a symlink: %w", rel, perr)
	case errors.Is(err, unix.EXDEV):
		return fmt.Errorf("directory %q: %w: %w", rel, errEscape, perr)
	case errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("openat2 needs linux 5.6 or newer: %w", perr)
	}
	return perr
}

// mkdirAll opens directory rel under root like openBeneath, creating missing
// components with mode 0755 (tars need not list parent directories).
func mkdirAll(root int, rel string) (int, error) {
	fd, err := openBeneath(root, rel)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	cur := root
	for _, comp := range strings.Split(rel, "/") {
		err := unix.Mkdirat(cur, comp, 0o755)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			err = &os.PathError{Op: "mkdirat", Path: comp, Err: err}
		} else {
			var next int
			next, err = openBeneath(cur, comp)
			if cur != root {
				unix.Close(cur)
			}
			cur = next
		}
		if err != nil {
			return -1, fmt.Errorf("create directory %q: %w", rel, err)
		}
	}
	return cur, nil
}

// removeAt deletes name in dirfd, recursively when it is a directory,
// without following symlinks.
func removeAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) {
		return &os.PathError{Op: "unlinkat", Path: name, Err: err}
	}
	flags := unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(dirfd, name, flags, 0)
	if err != nil {
		return &os.PathError{Op: "openat", Path: name, Err: err}
	}
	err = removeChildren(fd, name)
	unix.Close(fd)
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil {
		return &os.PathError{Op: "unlinkat", Path: name, Err: err}
	}
	return nil
}

// removeChildren empties the directory open as fd.
func removeChildren(fd int, name string) error {
	// Readdirnames needs an *os.File; give it its own fd so closing it
	// leaves fd to the caller.
	dup, err := unix.Dup(fd)
	if err != nil {
		return &os.PathError{Op: "dup", Path: name, Err: err}
	}
	d := os.NewFile(uintptr(dup), name)
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := removeAt(fd, n); err != nil {
			return err
		}
	}
	return nil
}

// statAt stats in dirfd without following symlinks; ok is false when
// there is nothing by that name.
func statAt(dirfd int, name string) (st unix.Stat_t, ok bool, err error) {
	err = unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return st, false, nil
	}
	if err != nil {
		return st, false, &os.PathError{Op: "fstatat", Path: name, Err: err}
	}
	return st, true, nil
}

package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The rootfs is an image someone else built, so any path component in it
// may be a symlink, and a symlink such as etc -> /etc would, if the path
// were joined as a string and handed to mount(2), put the container's
// mount on the host's /etc. Every target inside the rootfs is therefore
// resolved by the kernel with openat2(2) RESOLVE_IN_ROOT (Linux 5.6),
// which treats the rootfs fd as "/" for absolute symlinks and "..", and
// the mount is made on the resulting fd through /proc/self/fd/N.
// Directories and files that are missing are made with mkdirat(2) and
// mknodat(2) relative to a parent fd that was itself resolved in the
// rootfs; neither call follows a symlink in its last component.
//
// Covered by TestSetupSymlinkEscape.

// maxOpenRetries bounds the retries of openat2 on EAGAIN, which
// RESOLVE_IN_ROOT returns when a rename or mount raced with the walk.
const maxOpenRetries = 32

// fdPath returns the magic link through which mount(2) reaches the file
// an fd refers to. It needs the host's /proc, so it is used only before
// pivot_root.
func fdPath(fd int) string {
	return "/proc/self/fd/" + strconv.Itoa(fd)
}

// relInRoot turns a path inside the rootfs into the form openat2 takes
// relative to the rootfs fd: cleaned, without the leading slash, "." for
// the root itself.
func relInRoot(path string) string {
	rel := strings.TrimPrefix(filepath.Clean("/"+path), "/")
	if rel == "" {
		return "."
	}
	return rel
}

// openInRoot opens path, resolved inside the directory root refers to, as
// an O_PATH fd, adding extra to the open flags (O_DIRECTORY, say). Magic
// links (/proc/*/root and the like) are refused, since they would lead
// out of the rootfs. The caller closes the fd.
func openInRoot(root int, path string, extra uint64) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | extra,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	rel := relInRoot(path)
	for i := 0; ; i++ {
		fd, err := unix.Openat2(root, rel, &how)
		if (err == unix.EAGAIN && i < maxOpenRetries) || err == unix.EINTR {
			continue
		}
		if err == unix.ENOSYS {
			return -1, fmt.Errorf("open %q in rootfs: openat2(2) needs Linux 5.6: %w",
				"/"+rel, err)
		}
		if err != nil {
			return -1, &os.PathError{Op: "openat2", Path: "/" + rel, Err: err}
		}
		return fd, nil
	}
}

// mkdirAllInRoot returns an O_PATH fd of directory path inside root,
// creating every missing component with mode 0755 (less the umask). A
// symlink that points at nothing inside the rootfs is an error, not
// something to create. The caller closes the fd.
func mkdirAllInRoot(root int, path string) (int, error) {
	rel := relInRoot(path)
	fd, err := openInRoot(root, rel, unix.O_DIRECTORY)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	parent, err := openInRoot(root, ".", unix.O_DIRECTORY)
	if err != nil {
		return -1, err
	}
	parts := strings.Split(rel, "/")
	for i, name := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fd, err := openInRoot(root, sub, unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) {
			err = unix.Mkdirat(parent, name, 0o755)
			if err != nil && err != unix.EEXIST {
				unix.Close(parent)
				return -1, &os.PathError{Op: "mkdirat", Path: "/" + sub, Err: err}
			}
			// EEXIST with ENOENT before means a dangling symlink; the
			// second open reports it.
			fd, err = openInRoot(root, sub, unix.O_DIRECTORY)
		}
		unix.Close(parent)
		if err != nil {
			return -1, err
		}
		parent = fd
	}
	return parent, nil
}

// createInRoot returns an O_PATH fd of path inside root, making it first
// if it is missing: a directory (and its parents) when dir is true, else
// an empty regular file with mode 0644 in a directory made as needed. An
// existing path is returned as it is, whatever its type; mount(2) then
// reports a mismatch. The caller closes the fd.
func createInRoot(root int, path string, dir bool) (int, error) {
	if dir {
		return mkdirAllInRoot(root, path)
	}
	fd, err := openInRoot(root, path, 0)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	clean := "/" + relInRoot(path)
	parent, err := mkdirAllInRoot(root, filepath.Dir(clean))
	if err != nil {
		return -1, err
	}
	err = unix.Mknodat(parent, filepath.Base(clean), unix.S_IFREG|0o644, 0)
	unix.Close(parent)
	if err != nil && err != unix.EEXIST {
		return -1, &os.PathError{Op: "mknodat", Path: clean, Err: err}
	}
	return openInRoot(root, clean, 0)
}

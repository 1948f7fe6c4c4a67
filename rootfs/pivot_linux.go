package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// readMountinfo parses this process's /proc/self/mountinfo.
func readMountinfo() ([]mountInfo, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMountinfo(f)
}

// makePrivateIfShared makes the mount that each path is on private (not
// recursively) when it is shared.
//
// Two reasons, both only matter with a "shared"/"rshared" rootfs
// propagation or a shared host tree: a bind mount under a shared mount
// would be copied to every peer, the host's own mount namespace among
// them; and pivot_root(2) fails with EINVAL when the new root, its parent
// or the current root is shared.
func makePrivateIfShared(paths ...string) error {
	infos, err := readMountinfo()
	if err != nil {
		return err
	}
	for _, p := range paths {
		m, ok := mountOf(infos, p)
		if !ok || !m.Shared() {
			continue
		}
		if err := doMount(mountCall{Flags: unix.MS_PRIVATE}, m.MountPoint, m.MountPoint); err != nil {
			return err
		}
	}
	return nil
}

// pivotRoot makes rootPath, a mount point, the root of this mount
// namespace, removes the old root from it and leaves the cwd at "/".
//
// pivot_root(2) wants a put_old directory under the new root, which would
// have to be made in the image and removed again. Passing "." for both
// arguments avoids that: the kernel mounts the old root on top of the new
// one, so afterwards this process's root is the new rootfs while the
// mount stacked on "." is the old root. An fd to the old root, opened
// before the switch, gets us back onto it; it is made MS_SLAVE|MS_REC so
// the unmount does not travel to the mounts it shares events with (the
// host's, with a shared host tree), and detached lazily because it is our
// cwd. pivot_root(2) documents this form in its NOTES.
func pivotRoot(rootPath string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open old root", Path: "/", Err: err}
	}
	defer unix.Close(oldRoot)
	newRoot, err := unix.Open(rootPath, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open rootfs", Path: rootPath, Err: err}
	}
	defer unix.Close(newRoot)

	if err := unix.Fchdir(newRoot); err != nil {
		return &os.PathError{Op: "chdir to rootfs", Path: rootPath, Err: err}
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %q: %w", rootPath, err)
	}
	if err := unix.Fchdir(oldRoot); err != nil {
		return &os.PathError{Op: "chdir to old root", Path: "/", Err: err}
	}
	if err := doMount(mountCall{Flags: unix.MS_SLAVE | unix.MS_REC}, ".", "old root"); err != nil {
		return err
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

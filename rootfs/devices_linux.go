package rootfs

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// setupDev fills a fresh /dev inside the rootfs root refers to: the nodes
// (see devNodes) and the symlinks (see devSymlinks). It runs before
// pivot_root, after the spec mounts, so /dev is the spec's tmpfs.
func setupDev(root int, nodes []devNode, links []devSymlink) error {
	for _, n := range nodes {
		if err := createDevNode(root, n); err != nil {
			return err
		}
	}
	dev, err := mkdirAllInRoot(root, "/dev")
	if err != nil {
		return fmt.Errorf("open /dev in rootfs: %w", err)
	}
	defer unix.Close(dev)
	for _, l := range links {
		if l.Name == "ptmx" {
			// A ptmx node from spec.Linux.Devices gives way to the link.
			if err := unix.Unlinkat(dev, l.Name, 0); err != nil && err != unix.ENOENT {
				return &os.PathError{Op: "unlinkat", Path: "/dev/" + l.Name, Err: err}
			}
		}
		err := unix.Symlinkat(l.Target, dev, l.Name)
		if err != nil && err != unix.EEXIST {
			return fmt.Errorf("link /dev/%s to %q: %w", l.Name, l.Target, err)
		}
	}
	return nil
}

// devTypeBits maps a devNode type to the file type bits of mknod(2).
func devTypeBits(t string) uint32 {
	switch t {
	case "b":
		return unix.S_IFBLK
	case "p":
		return unix.S_IFIFO
	default:
		return unix.S_IFCHR
	}
}

// createDevNode makes one node inside the rootfs, with its directory. An
// existing file at the path is left as it is. Where mknod(2) is refused
// (a user namespace), the host's node of the same path is bind-mounted
// onto an empty file instead; owner and mode then are the host's.
func createDevNode(root int, n devNode) error {
	parent, err := mkdirAllInRoot(root, filepath.Dir(n.Path))
	if err != nil {
		return fmt.Errorf("create device %q: %w", n.Path, err)
	}
	defer unix.Close(parent)
	name := filepath.Base(n.Path)
	dev := unix.Mkdev(uint32(n.Major), uint32(n.Minor))
	err = unix.Mknodat(parent, name, devTypeBits(n.Type)|uint32(n.Mode), int(dev))
	switch {
	case err == unix.EEXIST:
		return nil
	case err == unix.EPERM:
		return bindHostDevice(root, parent, n)
	case err != nil:
		return fmt.Errorf("create device %q (%s %d:%d): %w", n.Path, n.Type, n.Major, n.Minor, err)
	}
	err = unix.Fchownat(parent, name, int(n.UID), int(n.GID), unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("chown device %q to %d:%d: %w", n.Path, n.UID, n.GID, err)
	}
	// mknod(2) applied the umask; set the mode the spec asked for.
	if err := unix.Fchmodat(parent, name, uint32(n.Mode), 0); err != nil {
		return fmt.Errorf("chmod device %q to %#o: %w", n.Path, n.Mode, err)
	}
	return nil
}

// bindHostDevice puts the host's node at n.Path on an empty file made in
// parent, a directory already resolved inside the rootfs.
func bindHostDevice(root, parent int, n devNode) error {
	name := filepath.Base(n.Path)
	if err := unix.Mknodat(parent, name, unix.S_IFREG|0o644, 0); err != nil && err != unix.EEXIST {
		return fmt.Errorf("create bind target for device %q: %w", n.Path, err)
	}
	fd, err := openInRoot(root, n.Path, 0)
	if err != nil {
		return fmt.Errorf("open bind target for device %q: %w", n.Path, err)
	}
	defer unix.Close(fd)
	// Before pivot_root "/" is still the host's, so n.Path names the host node.
	return doMount(mountCall{Source: n.Path, FSType: "bind", Flags: unix.MS_BIND},
		fdPath(fd), n.Path)
}

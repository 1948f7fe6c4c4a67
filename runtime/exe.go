package runtime

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sealedSelf returns an fd of this binary on a private read-only mount, to
// exec the init through. The init runs inside the container's namespaces
// before it execs the user process, and a container process could reach
// the binary through /proc/PID/exe and rewrite it (CVE-2019-5736). A
// detached read-only clone of the binary's mount costs two syscalls, where
// copying the binary into a sealed memfd costs a copy of it on every start.
// open_tree(2) and mount_setattr(2) need Linux 5.12; older kernels fall
// back to the memfd copy.
func sealedSelf() (*os.File, error) {
	tree, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return memfdSelf()
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(tree)
		return memfdSelf()
	}
	return os.NewFile(uintptr(tree), "husk-exe"), nil
}

// memfdSelf copies this binary into a sealed memfd.
func memfdSelf() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open own binary: %w", err)
	}
	defer src.Close()

	fd, err := unix.MemfdCreate("husk-exe", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	dst := os.NewFile(uintptr(fd), "husk-exe")
	if _, err := dst.ReadFrom(src); err != nil {
		dst.Close()
		return nil, fmt.Errorf("copy own binary to memfd: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return nil, fmt.Errorf("seal memfd: %w", err)
	}
	return dst, nil
}

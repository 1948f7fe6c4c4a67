package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"husk/internal/beside"
)

// initBinary is the path of the C init, husk-init (cmd/husk-init), beside
// this binary. Without it every container gets the Go init, and no
// namespace can be joined (setns needs a single-threaded process).
var initBinary = sync.OnceValues(func() (string, error) { return beside.Find("husk-init") })

// sealedBinary returns an fd of the binary at path on a private read-only
// mount, to exec an init through. The init runs inside the container's
// namespaces, and a container process could reach the binary through
// /proc/PID/exe and rewrite it (CVE-2019-5736). A detached read-only clone
// of the binary's mount costs two syscalls, where copying the binary into
// a sealed memfd costs a copy on every start. open_tree(2) and
// mount_setattr(2) need Linux 5.12; older kernels fall back to the memfd
// copy.
func sealedBinary(path string) (*os.File, error) {
	tree, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return memfdCopy(path)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(tree)
		return memfdCopy(path)
	}
	return os.NewFile(uintptr(tree), filepath.Base(path)), nil
}

// memfdCopy copies the binary at path into a sealed memfd.
func memfdCopy(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open init binary: %w", err)
	}
	defer src.Close()

	fd, err := unix.MemfdCreate(filepath.Base(path), unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	dst := os.NewFile(uintptr(fd), filepath.Base(path))
	if _, err := dst.ReadFrom(src); err != nil {
		dst.Close()
		return nil, fmt.Errorf("copy %s to memfd: %w", path, err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return nil, fmt.Errorf("seal memfd: %w", err)
	}
	return dst, nil
}

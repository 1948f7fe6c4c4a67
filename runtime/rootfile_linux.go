package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/internal/layers"
)

// readRootFile reads name (relative, such as "etc/passwd") as the
// container will see it when it starts, or "" when it has none: from the
// rootfs directory, resolved inside it, or, for an overlay root, from the
// topmost of its layers that holds the file, honouring whiteouts and
// opaque directories. What cannot be read safely from outside (a symlink
// in a layer) is errUserFiles.
func readRootFile(cfg *initConfig, name string) (string, error) {
	if cfg.RootMount == nil {
		return readInRoot(cfg.Spec.Root.Path, name)
	}
	dirs, err := overlayDirs(cfg.RootMount)
	if err != nil {
		return "", err
	}
	e, err := layers.Lookup(dirs, name)
	if errors.Is(err, layers.ErrBlocked) {
		return "", errUserFiles
	}
	if err != nil || e == nil {
		return "", err
	}
	if e.Stat.Mode&unix.S_IFMT != unix.S_IFREG {
		return "", errUserFiles
	}
	fd, err := unix.Open(e.Path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return "", fmt.Errorf("read /%s from image layer: %w", name, err)
	}
	return readFD(fd, name)
}

// readInRoot reads name in root with symlinks resolved inside root.
func readInRoot(root, name string) (string, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("open rootfs %q: %w", root, err)
	}
	defer unix.Close(rfd)
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(rfd, name, &how)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("open /%s in rootfs: %w", name, err)
	}
	return readFD(fd, name)
}

func readFD(fd int, name string) (string, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return "", fmt.Errorf("read /%s: %w", name, err)
	}
	return string(data), nil
}

// overlayDirs lists an overlay mount's layers top first: upperdir, then
// the lowerdirs in their order.
func overlayDirs(m *specs.Mount) ([]string, error) {
	var upper, lower []string
	for _, o := range m.Options {
		if v, ok := strings.CutPrefix(o, "upperdir="); ok {
			upper = []string{v}
		}
		if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
			lower = strings.Split(v, ":")
		}
	}
	if m.Type != "overlay" || len(lower) == 0 {
		return nil, fmt.Errorf("root mount of type %q: %w", m.Type, errUserFiles)
	}
	return append(upper, lower...), nil
}

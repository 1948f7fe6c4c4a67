package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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
	layers, err := overlayDirs(cfg.RootMount)
	if err != nil {
		return "", err
	}
	for _, dir := range layers {
		data, found, err := readInLayer(dir, name)
		if found || err != nil {
			return data, err
		}
	}
	return "", nil
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

// readInLayer looks for name in one overlay layer. found is true when
// the layer decides: it holds the file, or hides it (a whiteout, or an
// opaque or whited-out parent).
func readInLayer(dir, name string) (data string, found bool, err error) {
	parts := strings.Split(name, "/")
	for i := range parts {
		p := filepath.Join(dir, filepath.Join(parts[:i+1]...))
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); errors.Is(err, unix.ENOENT) {
			return "", false, nil
		} else if err != nil {
			return "", true, fmt.Errorf("read /%s from image layer: %w", name, err)
		}
		switch {
		case st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0:
			return "", true, nil // a whiteout
		case i < len(parts)-1 && st.Mode&unix.S_IFMT != unix.S_IFDIR:
			return "", true, errUserFiles
		case i == len(parts)-1 && st.Mode&unix.S_IFMT != unix.S_IFREG:
			return "", true, errUserFiles
		case i < len(parts)-1 && opaque(p) && !exists(filepath.Join(dir, name)):
			return "", true, nil
		}
	}
	fd, err := unix.Open(filepath.Join(dir, name), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return "", true, fmt.Errorf("read /%s from image layer: %w", name, err)
	}
	data, err = readFD(fd, name)
	return data, true, err
}

func opaque(dir string) bool {
	buf := make([]byte, 1)
	n, err := unix.Lgetxattr(dir, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

func exists(path string) bool {
	var st unix.Stat_t
	return unix.Lstat(path, &st) == nil
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

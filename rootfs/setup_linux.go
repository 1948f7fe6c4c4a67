package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Setup builds the container's filesystem view from c and switches into
// it. It must run in the container's init process, as root in (or over)
// the container's user namespace, inside the container's fresh mount
// namespace, and before the user process is executed: it changes the
// mount namespace and root of the calling process for good. When it
// returns nil, "/" is the rootfs and the cwd is "/"; on error the mount
// namespace is half set up and the process should exit.
//
// In order: the propagation of the whole tree is set
// (spec.Linux.RootfsPropagation, MS_SLAVE|MS_REC by default); the rootfs
// is mounted (c.RootMount, or a bind of spec.Root.Path onto itself); every
// spec.Mounts entry is mounted with its target resolved inside the rootfs;
// a fresh /dev gets its device nodes and symlinks; pivot_root switches the
// root; spec.Linux.Sysctl is written; spec.Linux.ReadonlyPaths are made
// read-only and spec.Linux.MaskedPaths hidden; the root is remounted
// read-only if spec.Root.Readonly.
//
// Sysctls are written before the read-only paths, not after, because the
// default read-only list covers /proc/sys. Masks come after the read-only
// paths, as in runc, so a masked file under a read-only directory stays
// a writable /dev/null rather than becoming a read-only one.
func Setup(c Config) error {
	sp, err := prepare(c)
	if err != nil {
		return err
	}
	rootPath, linux, prop, rootPlan, plans, nodes := sp.rootPath, sp.linux, sp.prop, sp.root, sp.mounts, sp.nodes

	if err := doMount(mountCall{Flags: initialPropagation(prop)}, "/", "/"); err != nil {
		return fmt.Errorf("set up rootfs: %w", err)
	}
	if err := makePrivateIfShared(rootPath); err != nil {
		return fmt.Errorf("set up rootfs: make parent of %q private: %w", rootPath, err)
	}
	if err := mountRoot(rootPath, rootPlan); err != nil {
		return fmt.Errorf("set up rootfs: %w", err)
	}
	if err := mountAll(rootPath, plans, nodes); err != nil {
		return fmt.Errorf("set up rootfs: %w", err)
	}
	if c.BeforePivot != nil {
		if err := c.BeforePivot(); err != nil {
			return err
		}
	}
	if err := makePrivateIfShared("/", rootPath); err != nil {
		return fmt.Errorf("set up rootfs: prepare pivot_root: %w", err)
	}
	if err := pivotRoot(rootPath); err != nil {
		return fmt.Errorf("set up rootfs: %w", err)
	}
	// The pivot may have needed the root mount private (see
	// makePrivateIfShared), and an unbindable tree had to wait until no
	// more binds were made (see initialPropagation); now give the new root
	// the propagation the spec asked for.
	if linux.RootfsPropagation != "" {
		if err := doMount(mountCall{Flags: prop}, "/", "/"); err != nil {
			return fmt.Errorf("set up rootfs: %w", err)
		}
	}
	if err := writeSysctls(linux.Sysctl); err != nil {
		return fmt.Errorf("set up rootfs: %w", err)
	}
	if err := readonlyPaths(linux.ReadonlyPaths); err != nil {
		return fmt.Errorf("set up rootfs: %w", err)
	}
	if err := maskPaths(linux.MaskedPaths); err != nil {
		return fmt.Errorf("set up rootfs: %w", err)
	}
	if c.Spec.Root.Readonly {
		if err := remountReadonly("/"); err != nil {
			return fmt.Errorf("set up rootfs: make root read-only: %w", err)
		}
	}
	return nil
}

// setupPlan is what Setup and Program decide before the first mount, so
// that a bad spec fails with nothing changed.
type setupPlan struct {
	rootPath string // the rootfs, symlinks resolved (mountinfo lists resolved paths)
	linux    *specs.Linux
	prop     uintptr
	root     mountPlan
	mounts   []mountPlan
	nodes    []devNode // /dev's nodes, when Setup populates /dev
}

func prepare(c Config) (*setupPlan, error) {
	if c.Spec == nil || c.Spec.Root == nil {
		return nil, errors.New("set up rootfs: spec has no root")
	}
	if !filepath.IsAbs(c.Spec.Root.Path) {
		return nil, fmt.Errorf("set up rootfs: root path %q is not absolute", c.Spec.Root.Path)
	}
	sp := &setupPlan{linux: c.Spec.Linux}
	if sp.linux == nil {
		sp.linux = &specs.Linux{}
	}
	var err error
	if sp.rootPath, err = filepath.EvalSymlinks(c.Spec.Root.Path); err != nil {
		return nil, fmt.Errorf("set up rootfs: %w", err)
	}
	if sp.prop, err = rootPropagation(sp.linux.RootfsPropagation); err != nil {
		return nil, fmt.Errorf("set up rootfs: %w", err)
	}
	if sp.root, err = planRoot(sp.rootPath, c.RootMount); err != nil {
		return nil, fmt.Errorf("set up rootfs: %w", err)
	}
	if sp.mounts, err = planMounts(c.Spec.Mounts, hostCgroup2()); err != nil {
		return nil, fmt.Errorf("set up rootfs: %w", err)
	}
	if needsDev(sp.mounts) {
		if sp.nodes, err = devNodes(sp.linux.Devices); err != nil {
			return nil, fmt.Errorf("set up rootfs: %w", err)
		}
	}
	return sp, nil
}

// mountAll makes the planned spec mounts inside the mounted rootfs and,
// when nodes is not empty, fills /dev. It works through an fd of the
// rootfs mount, opened after that mount was made.
func mountAll(rootPath string, plans []mountPlan, nodes []devNode) error {
	root, err := unix.Open(rootPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs %q: %w", rootPath, err)
	}
	defer unix.Close(root)
	for _, p := range plans {
		if err := mountInRoot(root, rootPath, p); err != nil {
			return err
		}
	}
	if len(nodes) == 0 {
		return nil
	}
	if err := setupDev(root, nodes, devSymlinks(hasProc(plans))); err != nil {
		return fmt.Errorf("populate /dev of %q: %w", rootPath, err)
	}
	return nil
}

// hostCgroup2 reports whether /sys/fs/cgroup, as this process sees it
// before pivot_root, is a cgroup2 filesystem: a host that runs cgroup v2
// only. Anything else, including no cgroup mount at all, counts as v1.
func hostCgroup2() bool {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

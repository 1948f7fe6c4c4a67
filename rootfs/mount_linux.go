package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// statfs(2) f_flags bits (ST_* in <sys/statvfs.h>), which x/sys/unix does
// not name for Linux.
const (
	stRdonly      = 0x1
	stNosuid      = 0x2
	stNodev       = 0x4
	stNoexec      = 0x8
	stNoatime     = 0x400
	stNodiratime  = 0x800
	stRelatime    = 0x1000
	stNosymfollow = 0x2000
)

// flagsFromStatfs maps the per-mount flags statfs(2) reports to the
// mount(2) flags that keep them on a remount.
func flagsFromStatfs(st int64) uintptr {
	pairs := []struct {
		st    int64
		flags uintptr
	}{
		{stRdonly, unix.MS_RDONLY},
		{stNosuid, unix.MS_NOSUID},
		{stNodev, unix.MS_NODEV},
		{stNoexec, unix.MS_NOEXEC},
		{stNoatime, unix.MS_NOATIME},
		{stNodiratime, unix.MS_NODIRATIME},
		{stRelatime, unix.MS_RELATIME},
		{stNosymfollow, unix.MS_NOSYMFOLLOW},
	}
	var f uintptr
	for _, p := range pairs {
		if st&p.st != 0 {
			f |= p.flags
		}
	}
	return f
}

// mountError reports a failed call with all of its arguments; display is
// the target as a person would name it, not the /proc/self/fd path used.
func mountError(c mountCall, display string, err error) error {
	const propagation = unix.MS_SHARED | unix.MS_SLAVE | unix.MS_PRIVATE | unix.MS_UNBINDABLE
	if c.Source == "" && c.FSType == "" && c.Flags&propagation != 0 {
		return fmt.Errorf("change propagation of %q to %s: %w", display, flagNames(c.Flags), err)
	}
	return fmt.Errorf("mount %q on %q (type %q, flags %s, data %q): %w",
		c.Source, display, c.FSType, flagNames(c.Flags), c.Data, err)
}

// doMount makes one mount(2) call on path.
func doMount(c mountCall, path, display string) error {
	if err := unix.Mount(c.Source, path, c.FSType, c.Flags, c.Data); err != nil {
		return mountError(c, display, err)
	}
	return nil
}

// doRemount makes a remounting call. In a user namespace the kernel locks
// the ro, nosuid, nodev, noexec and atime flags a mount brought from a
// more privileged namespace, and a remount that would drop one fails with
// EPERM; then the call is retried once with the flags the mount has now.
func doRemount(c mountCall, path, display string) error {
	err := unix.Mount(c.Source, path, c.FSType, c.Flags, c.Data)
	if err == unix.EPERM {
		var st unix.Statfs_t
		if unix.Statfs(path, &st) == nil {
			if kept := flagsFromStatfs(st.Flags); kept&^c.Flags != 0 {
				c.Flags |= kept
				err = unix.Mount(c.Source, path, c.FSType, c.Flags, c.Data)
			}
		}
	}
	if err != nil {
		return mountError(c, display, err)
	}
	return nil
}

// applyChanges makes the calls that follow a mount's creation (bind
// remount, propagation) and then its recursive attributes, all on path,
// which must already reach the new mount.
func applyChanges(calls []mountCall, rec *unix.MountAttr, path, display string) error {
	for _, c := range calls {
		var err error
		if c.Flags&unix.MS_REMOUNT != 0 {
			err = doRemount(c, path, display)
		} else {
			err = doMount(c, path, display)
		}
		if err != nil {
			return err
		}
	}
	if rec == nil {
		return nil
	}
	err := unix.MountSetattr(unix.AT_FDCWD, path, unix.AT_RECURSIVE, rec)
	if err == unix.ENOSYS {
		return fmt.Errorf("set recursive attributes of %q: mount_setattr(2) needs Linux 5.12: %w",
			display, err)
	}
	if err != nil {
		return fmt.Errorf("set recursive attributes of %q (set %#x, clear %#x): %w",
			display, rec.Attr_set, rec.Attr_clr, err)
	}
	return nil
}

// mountRoot makes the rootfs directory a mount point as planned by
// planRoot. rootPath comes from the caller, not from the image, so it is
// used as a plain path.
func mountRoot(rootPath string, p mountPlan) error {
	if err := doMount(p.Calls[0], rootPath, rootPath); err != nil {
		return err
	}
	return applyChanges(p.Calls[1:], p.RecAttr, rootPath, rootPath)
}

// mountInRoot carries out one planned spec mount. The target is resolved
// and, if missing, created inside the rootfs that root refers to (see
// resolve_linux.go); rootPath is only used to name it in errors.
func mountInRoot(root int, rootPath string, p mountPlan) error {
	display := filepath.Join(rootPath, p.Dest)
	dir := true
	if p.Bind {
		fi, err := os.Stat(p.Calls[0].Source)
		if err != nil {
			return fmt.Errorf("bind mount on %q: %w", display, err)
		}
		dir = fi.IsDir()
	}
	fd, err := createInRoot(root, p.Dest, dir)
	if err != nil {
		return fmt.Errorf("create mount target in %q: %w", rootPath, err)
	}
	calls := p.Calls
	err = doMount(calls[0], fdPath(fd), display)
	if errors.Is(err, unix.EPERM) && p.HostFallback != "" {
		// Not allowed to make a new instance (a user namespace that does
		// not own the net or ipc namespace); bind the host's instead,
		// keeping the flags asked for.
		calls = append(planBind(p.HostFallback, calls[0].Flags|unix.MS_BIND|unix.MS_REC, ""),
			calls[1:]...)
		err = doMount(calls[0], fdPath(fd), display)
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	if len(calls) == 1 && p.RecAttr == nil {
		return nil
	}
	// fd refers to the directory the mount now covers. The calls below
	// must reach the new mount, so resolve the path once more: the walk
	// now ends on the new mount's root.
	fd, err = openInRoot(root, p.Dest, 0)
	if err != nil {
		return fmt.Errorf("reopen mount target in %q: %w", rootPath, err)
	}
	defer unix.Close(fd)
	return applyChanges(calls[1:], p.RecAttr, fdPath(fd), display)
}

package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountCall is one mount(2) call written down as data. The target is not
// part of it: the executor supplies the target it resolved in the rootfs.
type mountCall struct {
	Source string
	FSType string
	Flags  uintptr
	Data   string
}

// mountPlan is everything Setup will do for one spec mount, decided
// without touching the system, so the decisions have table tests.
type mountPlan struct {
	// Dest is the cleaned absolute destination inside the rootfs.
	Dest string
	// Bind is true when the target takes the shape of Calls[0].Source
	// (a file for a file, a directory otherwise); other mounts always
	// need a directory.
	Bind bool
	// Calls run in order. Calls[0] creates the mount; the rest change it
	// (bind remount, propagation) and so act on the new mount, which the
	// executor reopens after Calls[0].
	Calls []mountCall
	// RecAttr, when set, is applied with mount_setattr(2) AT_RECURSIVE
	// after Calls.
	RecAttr *unix.MountAttr
	// HostFallback is a host path to bind (rec) instead when Calls[0]
	// fails with EPERM, as a sysfs or mqueue mount does in a user
	// namespace that does not own the net or ipc namespace.
	HostFallback string
}

// bindAdjustable are the flags a bind mount ignores on creation and only
// takes from a second, remounting call.
const bindAdjustable = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV |
	unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME |
	unix.MS_RELATIME | unix.MS_STRICTATIME | unix.MS_NOSYMFOLLOW

// cleanDest turns a spec destination into a clean absolute path. A
// relative destination counts from "/", as runc still accepts; ".." can
// not climb above "/". The root itself is not a valid destination, since
// the rootfs is already mounted there and pivot_root needs that mount on top.
func cleanDest(dest string) (string, error) {
	if dest == "" {
		return "", fmt.Errorf("mount destination is empty")
	}
	clean := filepath.Clean("/" + dest)
	if clean == "/" {
		return "", fmt.Errorf("mount destination %q is the rootfs itself", dest)
	}
	return clean, nil
}

// planMounts plans every spec mount, in spec order, so that a bad entry is
// reported before anything is mounted. cgroup2 tells whether the host
// runs the unified cgroup hierarchy only (see planCgroup).
func planMounts(mounts []specs.Mount, cgroup2 bool) ([]mountPlan, error) {
	plans := make([]mountPlan, 0, len(mounts))
	for _, m := range mounts {
		p, err := planMount(m, cgroup2)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// planMount turns one spec mount into mount(2) calls, see planCalls.
func planMount(m specs.Mount, cgroup2 bool) (mountPlan, error) {
	dest, err := cleanDest(m.Destination)
	if err != nil {
		return mountPlan{}, err
	}
	return planCalls(m, dest, cgroup2)
}

// planRoot plans the mount that makes the rootfs directory a mount point
// of its own, which pivot_root(2) requires: m, usually an overlay, or,
// when m is nil, a recursive bind of the directory onto itself.
func planRoot(rootPath string, m *specs.Mount) (mountPlan, error) {
	if m == nil {
		return mountPlan{Dest: "/", Bind: true, Calls: []mountCall{{
			Source: rootPath, FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC,
		}}}, nil
	}
	return planCalls(*m, "/", false)
}

// planCalls decides the calls for m mounted at dest. A mount is a bind
// mount when its options say bind or rbind or its type is "bind".
func planCalls(m specs.Mount, dest string, cgroup2 bool) (mountPlan, error) {
	opts := parseMountOptions(m.Options)
	data := strings.Join(opts.Data, ",")
	// NOTE: mount(2) copies at most one page of data; longer overlay option
	// strings are cut short by the kernel, so refuse them here with a clear
	// message instead of a confusing one from the filesystem.
	if len(data) >= os.Getpagesize() {
		return mountPlan{}, fmt.Errorf("mount on %q: options are %d bytes, "+
			"mount(2) takes less than %d", dest, len(data), os.Getpagesize())
	}
	p := mountPlan{Dest: dest, RecAttr: opts.RecAttr}
	switch {
	case opts.Flags&unix.MS_BIND != 0 || m.Type == "bind":
		if m.Source == "" {
			return mountPlan{}, fmt.Errorf("bind mount on %q has no source", dest)
		}
		p.Bind = true
		p.Calls = planBind(m.Source, opts.Flags|unix.MS_BIND, data)
	case m.Type == "cgroup": // an explicit "cgroup2" is passed through as it is
		p.Calls = []mountCall{planCgroup(opts.Flags, data, cgroup2)}
	case m.Type == "":
		return mountPlan{}, fmt.Errorf("mount on %q has no type and is not a bind mount", dest)
	default:
		src := m.Source
		if src == "" {
			src = m.Type
		}
		p.Calls = []mountCall{{Source: src, FSType: m.Type, Flags: opts.Flags, Data: data}}
		switch m.Type {
		case "sysfs":
			p.HostFallback = "/sys"
		case "mqueue":
			p.HostFallback = "/dev/mqueue"
		}
	}
	for _, prop := range opts.Propagation {
		p.Calls = append(p.Calls, mountCall{Flags: prop})
	}
	return p, nil
}

// planBind makes the calls of a bind mount: the bind itself, which
// ignores per-mount flags such as MS_RDONLY, then a remount that applies
// them. MS_REC is kept only on the first call; on a remount it means
// nothing (mount_setattr(2) with "rro" and friends is the recursive way).
func planBind(src string, flags uintptr, data string) []mountCall {
	calls := []mountCall{{
		Source: src,
		FSType: "bind",
		Flags:  flags &^ (bindAdjustable | unix.MS_REMOUNT),
		Data:   data,
	}}
	if flags&bindAdjustable != 0 {
		calls = append(calls, mountCall{
			Source: src,
			Flags:  (flags &^ unix.MS_REC) | unix.MS_REMOUNT,
		})
	}
	return calls
}

// planCgroup chooses what a "cgroup" mount becomes. On a host that runs
// only cgroup v2, it is a cgroup2 mount, which the fresh cgroup namespace
// roots at the container's own cgroup. On a hybrid or v1 host the full
// answer is a tmpfs holding one mount per v1 hierarchy, as runc builds
// from /proc/self/cgroup; until husk needs cgroups visible inside such
// containers, the container gets only the empty tmpfs (read-only when
// asked, as the default mounts do), which tells programs there is no
// cgroup tree to look at.
func planCgroup(flags uintptr, data string, cgroup2 bool) mountCall {
	if cgroup2 {
		return mountCall{Source: "cgroup2", FSType: "cgroup2", Flags: flags, Data: data}
	}
	return mountCall{Source: "tmpfs", FSType: "tmpfs", Flags: flags, Data: "mode=755"}
}

// needsDev reports whether Setup populates /dev: only when a spec mount
// puts a fresh filesystem (normally a tmpfs) on /dev. A bind-mounted /dev
// is the caller's own, and without a /dev mount the rootfs's /dev is part
// of the image, which Setup does not write into.
func needsDev(plans []mountPlan) bool {
	need := false
	for _, p := range plans {
		if p.Dest == "/dev" { // the last mount on /dev is the one on top
			need = !p.Bind
		}
	}
	return need
}

// hasProc reports whether a proc filesystem is mounted at /proc, which
// decides whether /dev/core can point at /proc/kcore.
func hasProc(plans []mountPlan) bool {
	proc := false
	for _, p := range plans {
		if p.Dest == "/proc" {
			proc = p.Calls[0].FSType == "proc"
		}
	}
	return proc
}

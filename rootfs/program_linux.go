package rootfs

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"husk/runtime/cinit"
)

// ErrNeedsGoInit is returned by Program for a set-up that only Setup can
// do; the error says what it is.
var ErrNeedsGoInit = errors.New("needs the Go init")

// Program adds to p the system calls Setup would make for c, for the C
// init (package cinit), which runs them in the same order: the same plans,
// the same resolution of targets inside the rootfs. Decisions that depend
// on the host (a bind source's type, the host's cgroup version) are taken
// here, in the parent, which sees the host as the init does before
// pivot_root. A set-up that needs Setup's own judgement at run time
// (hooks between the mounts and pivot_root, a shared or unbindable
// propagation, fallbacks taken inside a user namespace) is refused with
// ErrNeedsGoInit.
func Program(c Config, p *cinit.Program) error {
	if c.BeforePivot != nil {
		return fmt.Errorf("hooks before pivot_root: %w", ErrNeedsGoInit)
	}
	sp, err := prepare(c)
	if err != nil {
		return err
	}
	rootPath, linux, prop, rootPlan, plans, nodes := sp.rootPath, sp.linux, sp.prop, sp.root, sp.mounts, sp.nodes
	if prop&(unix.MS_SHARED|unix.MS_UNBINDABLE) != 0 {
		return fmt.Errorf("rootfs propagation %q: %w", linux.RootfsPropagation, ErrNeedsGoInit)
	}
	if len(rootPlan.Calls) > 1 || rootPlan.RecAttr != nil {
		return fmt.Errorf("root mount options: %w", ErrNeedsGoInit)
	}

	p.Add(cinit.OpStep, "rootfs")
	// Nothing is shared after a slave or private propagation of the whole
	// tree, so Setup's makePrivateIfShared would change nothing here.
	p.Add(cinit.OpMount, "", "/", "", cinit.Num(prop), "")
	addCall(p, cinit.OpMount, rootPath, rootPlan.Calls[0])
	p.Add(cinit.OpRoot, rootPath)
	for _, pl := range plans {
		if err := addMount(p, pl); err != nil {
			return err
		}
	}
	addDev(p, nodes, hasProc(plans))
	p.Add(cinit.OpPivot, rootPath)
	if linux.RootfsPropagation != "" {
		p.Add(cinit.OpMount, "", "/", "", cinit.Num(prop), "")
	}
	if err := addSysctls(p, linux.Sysctl); err != nil {
		return err
	}
	for _, path := range linux.ReadonlyPaths {
		p.Add(cinit.OpReadonly, filepath.Clean("/"+path))
	}
	for _, path := range linux.MaskedPaths {
		p.Add(cinit.OpMask, filepath.Clean("/"+path))
	}
	if c.Spec.Root.Readonly {
		p.Add(cinit.OpRemountRO, "/")
	}
	return nil
}

// addCall adds mount call c on target; for the *_IN ops target is the
// destination inside the rootfs.
func addCall(p *cinit.Program, op cinit.Op, target string, c mountCall) {
	p.Add(op, c.Source, target, c.FSType, cinit.Num(c.Flags), c.Data)
}

func addMount(p *cinit.Program, pl mountPlan) error {
	// pl.HostFallback is for a mount refused inside a user namespace,
	// which the C init never runs in.
	kind := "d"
	if pl.Bind {
		fi, err := os.Stat(pl.Calls[0].Source)
		if err != nil {
			return fmt.Errorf("bind mount on %q: %w", pl.Dest, err)
		}
		if !fi.IsDir() {
			kind = "f"
		}
	}
	c := pl.Calls[0]
	p.Add(cinit.OpMountIn, pl.Dest, kind, c.Source, c.FSType, cinit.Num(c.Flags), c.Data)
	for _, c := range pl.Calls[1:] {
		p.Add(cinit.OpChangeIn, pl.Dest, c.Source, c.FSType, cinit.Num(c.Flags), c.Data)
	}
	if r := pl.RecAttr; r != nil {
		p.Add(cinit.OpSetattrIn, pl.Dest, cinit.Num(r.Attr_set), cinit.Num(r.Attr_clr),
			cinit.Num(r.Propagation))
	}
	return nil
}

func addDev(p *cinit.Program, nodes []devNode, withProc bool) {
	if len(nodes) == 0 {
		return
	}
	for _, n := range nodes {
		mode := devTypeBits(n.Type) | uint32(n.Mode)
		p.Add(cinit.OpMknodIn, n.Path, cinit.Num(mode), cinit.Num(n.Major), cinit.Num(n.Minor),
			cinit.Num(n.UID), cinit.Num(n.GID))
	}
	for _, l := range devSymlinks(withProc) {
		p.Add(cinit.OpSymlinkDev, l.Name, l.Target)
	}
}

func addSysctls(p *cinit.Program, sysctl map[string]string) error {
	for _, n := range slices.Sorted(maps.Keys(sysctl)) {
		path, err := sysctlPath(n)
		if err != nil {
			return err
		}
		p.Add(cinit.OpWrite, path, sysctl[n])
	}
	return nil
}

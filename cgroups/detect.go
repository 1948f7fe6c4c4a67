package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Layout says which cgroup hierarchies a host mounts.
type Layout int

const (
	// Unified is cgroup v2 only: one cgroup2 hierarchy at the mount root.
	Unified Layout = iota
	// Hybrid is v1 controller hierarchies plus a cgroup2 hierarchy (at
	// <root>/unified on systemd hosts) that carries few or no controllers.
	// husk uses v1 for every controller there.
	Hybrid
	// Legacy is cgroup v1 hierarchies only.
	Legacy
)

// String returns "unified", "hybrid" or "legacy".
func (l Layout) String() string {
	switch l {
	case Unified:
		return "unified"
	case Hybrid:
		return "hybrid"
	case Legacy:
		return "legacy"
	}
	return "Layout(" + strconv.Itoa(int(l)) + ")"
}

// v1Controllers are the controllers a v1 hierarchy can carry. A mount's
// options are matched against this list, which keeps mount flags such as
// "clone_children" or "xattr" from passing for controllers.
var v1Controllers = []string{
	"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb",
	"memory", "misc", "net_cls", "net_prio", "perf_event", "pids", "rdma",
}

// hierarchy is one mounted cgroup hierarchy.
type hierarchy struct {
	mountpoint  string   // where it is mounted
	root        string   // the cgroup mounted there: "/" unless a sub-cgroup is bind-mounted
	controllers []string // v1 controllers; nil for cgroup2
	v2          bool
}

// Detect tells the layout of the cgroup hierarchies under the mount root
// (/sys/fs/cgroup unless WithMountRoot). It reads the cgroup and cgroup2
// mounts there from /proc/self/mountinfo; when none are there (a test's
// temporary tree) it reads the tree instead: a cgroup.controllers file at
// the root is cgroup2, a subdirectory with cgroup.controllers is a cgroup2
// mount, and a subdirectory with cgroup.procs is a v1 hierarchy whose
// controllers are in its name ("cpu,cpuacct").
func Detect(opts ...Option) (Layout, error) {
	c := newConfig(opts)
	hs, err := discover(c)
	if err != nil {
		return 0, err
	}
	return layoutOf(hs, c.mountRoot)
}

// layoutOf classifies the hierarchies found under root.
func layoutOf(hs []hierarchy, root string) (Layout, error) {
	var v1, v2 bool
	for _, h := range hs {
		if h.v2 && h.mountpoint == root {
			return Unified, nil
		}
		v1 = v1 || len(h.controllers) > 0
		v2 = v2 || h.v2
	}
	switch {
	case v1 && v2:
		return Hybrid, nil
	case v1:
		return Legacy, nil
	case v2:
		return Unified, nil
	}
	return 0, fmt.Errorf("detect cgroup layout: no cgroup hierarchies under %q", root)
}

// discover finds the hierarchies under c.mountRoot.
func discover(c *config) ([]hierarchy, error) {
	r, closeFn, err := openMountinfo(c)
	if err == nil {
		defer closeFn()
		mounts, err := parseMountinfo(r)
		if err != nil {
			return nil, err
		}
		if hs := hierarchiesUnder(mounts, c.mountRoot); len(hs) > 0 {
			return hs, nil
		}
	}
	return scanTree(c.mountRoot)
}

// openMountinfo returns the caller's mountinfo: the given view's, or
// the file under the proc root.
func openMountinfo(c *config) (io.Reader, func() error, error) {
	if c.self != nil {
		return strings.NewReader(c.self.Mountinfo), func() error { return nil }, nil
	}
	f, err := os.Open(filepath.Join(c.procRoot, "self", "mountinfo"))
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// mountEntry is a cgroup or cgroup2 line of /proc/self/mountinfo.
type mountEntry struct {
	root, mountpoint, fstype string
	superOptions             []string
}

// parseMountinfo returns the cgroup and cgroup2 mounts of a mountinfo
// file (proc(5)): "36 35 0:30 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu".
func parseMountinfo(r io.Reader) ([]mountEntry, error) {
	var out []mountEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1024*1024) // grows past 4 KiB only for long lines
	for sc.Scan() {
		line := sc.Text()
		before, after, ok := strings.Cut(line, " - ")
		if !ok {
			return nil, fmt.Errorf("parse mountinfo line %q: no \" - \" separator", line)
		}
		pre, post := strings.Fields(before), strings.Fields(after)
		if len(pre) < 6 || len(post) < 3 {
			return nil, fmt.Errorf("parse mountinfo line %q: too few fields", line)
		}
		if post[0] != "cgroup" && post[0] != "cgroup2" {
			continue
		}
		out = append(out, mountEntry{
			root:         unescapeOctal(pre[3]),
			mountpoint:   unescapeOctal(pre[4]),
			fstype:       post[0],
			superOptions: strings.Split(post[2], ","),
		})
	}
	return out, sc.Err()
}

// unescapeOctal undoes mountinfo's \040-style escapes of space, tab,
// newline and backslash.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hierarchiesUnder keeps the mounts at or below root, the first mount of
// each v1 controller set and of cgroup2 (a hierarchy bind-mounted twice
// shows up twice). Named v1 hierarchies without controllers
// (name=systemd) are left out: husk has nothing to do in them.
func hierarchiesUnder(mounts []mountEntry, root string) []hierarchy {
	var hs []hierarchy
	seen := map[string]bool{}
	for _, m := range mounts {
		if m.mountpoint != root && !strings.HasPrefix(m.mountpoint, root+"/") {
			continue
		}
		h := hierarchy{mountpoint: m.mountpoint, root: m.root, v2: m.fstype == "cgroup2"}
		if !h.v2 {
			for _, o := range m.superOptions {
				if slices.Contains(v1Controllers, o) {
					h.controllers = append(h.controllers, o)
				}
			}
			if len(h.controllers) == 0 {
				continue
			}
		}
		key := strings.Join(h.controllers, ",")
		if seen[key] {
			continue
		}
		seen[key] = true
		hs = append(hs, h)
	}
	return hs
}

// scanTree reads the hierarchies from the directory layout under root;
// see Detect. Symlinks (cpu -> cpu,cpuacct) are skipped: their target is
// listed under its own name.
func scanTree(root string) ([]hierarchy, error) {
	if exists(root, "cgroup.controllers") {
		return []hierarchy{{mountpoint: root, root: "/", v2: true}}, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("detect cgroup layout: %w", err)
		}
		return nil, fmt.Errorf("detect cgroup layout: read %q: %w", root, err)
	}
	var hs []hierarchy
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		switch {
		case exists(dir, "cgroup.controllers"):
			hs = append(hs, hierarchy{mountpoint: dir, root: "/", v2: true})
		case exists(dir, "cgroup.procs"):
			var ctrls []string
			for _, n := range strings.Split(e.Name(), ",") {
				if slices.Contains(v1Controllers, n) {
					ctrls = append(ctrls, n)
				}
			}
			if len(ctrls) > 0 {
				hs = append(hs, hierarchy{mountpoint: dir, root: "/", controllers: ctrls})
			}
		}
	}
	return hs, nil
}

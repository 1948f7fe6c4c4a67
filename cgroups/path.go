package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// validatePath refuses what New cannot place: an empty path, a ".."
// element (the cgroup would land outside the tree the caller chose) and
// systemd's "slice:prefix:name" form.
func validatePath(p string) error {
	if p == "" {
		return errors.New(`cgroupsPath "": a cgroup name is required (generate one, e.g. from the container id)`)
	}
	if strings.Count(p, ":") == 2 {
		return fmt.Errorf("cgroupsPath %q: looks like a systemd slice:prefix:name path;"+
			" the systemd cgroup driver is not supported, give a cgroupfs path", p)
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return fmt.Errorf("cgroupsPath %q: \"..\" is not allowed", p)
		}
	}
	if path.Clean("/"+p) == "/" {
		return fmt.Errorf("cgroupsPath %q: names the root of the hierarchy, not a cgroup of its own", p)
	}
	return nil
}

// parseProcCgroup parses /proc/PID/cgroup (cgroups(7)): each
// "hierarchy-ID:controller-list:path" line maps every controller of the
// list to path; the cgroup2 line "0::path" maps "" to path. Named v1
// hierarchies map "name=systemd" and such.
func parseProcCgroup(r io.Reader) (map[string]string, error) {
	m := make(map[string]string)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			return nil, fmt.Errorf("parse cgroup line %q: want \"id:controllers:/path\"", line)
		}
		if parts[1] == "" {
			m[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[c] = parts[2]
		}
	}
	return m, sc.Err()
}

func readProcCgroup(c *config) (map[string]string, error) {
	if c.self != nil {
		return parseProcCgroup(strings.NewReader(c.self.Cgroup))
	}
	p := filepath.Join(c.procRoot, "self", "cgroup")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read own cgroup for a relative cgroupsPath: %w", err)
	}
	defer f.Close()
	m, err := parseProcCgroup(f)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", p, err)
	}
	return m, nil
}

// cgroupIn returns the path of cgroupsPath in hierarchy h as
// /proc/PID/cgroup names it, and its directory. self is the caller's own
// path in h (from /proc/self/cgroup), the base of a relative cgroupsPath.
// When a sub-cgroup is mounted (h.root is not "/", as in a container
// without a cgroup namespace) the path is translated to the mount; an
// absolute cgroupsPath, or a self outside the mount, is taken from the
// mount's top.
func cgroupIn(h hierarchy, self, cgroupsPath string) (cgPath, dir string) {
	if !filepath.IsAbs(cgroupsPath) && self != "" {
		p := path.Join(self, cgroupsPath)
		if rel, ok := below(p, h.root); ok {
			return p, filepath.Join(h.mountpoint, rel)
		}
	}
	return path.Join(h.root, cgroupsPath), filepath.Join(h.mountpoint, cgroupsPath)
}

// below returns p relative to root ("/x" for root "/r" and p "/r/x").
func below(p, root string) (string, bool) {
	switch {
	case root == "/":
		return p, true
	case p == root:
		return "/", true
	case strings.HasPrefix(p, root+"/"):
		return strings.TrimPrefix(p, root), true
	}
	return "", false
}

// mkdirTracked creates dir and missing parents below top, and returns
// the directories it created, outermost first.
func mkdirTracked(top, dir string) ([]string, error) {
	// The usual case, a parent that exists: one mkdir, no walk.
	if err := os.Mkdir(dir, 0o755); err == nil {
		return []string{dir}, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		if errors.Is(err, fs.ErrExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("create cgroup %q: %w", dir, unwrapPath(err))
	}
	var missing []string
	for d := dir; d != top && strings.HasPrefix(d, top+"/"); d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
	}
	slices.Reverse(missing)
	var created []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue // made concurrently; not ours to initialise
			}
			return created, fmt.Errorf("create cgroup %q: %w", d, unwrapPath(err))
		}
		created = append(created, d)
	}
	return created, nil
}

// removeTree removes the cgroup dir and every nested cgroup, deepest
// first. cgroupfs refuses rmdir of a cgroup that still has members or
// whose members are still exiting (EBUSY), so each rmdir is retried for
// up to about two seconds. A missing directory is fine.
func removeTree(dir string) error {
	// Most cgroups have no children: one rmdir, no walk.
	if err := unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove cgroup %q: %w", dir, err)
	}
	// WalkDir lists parents before children; reverse for deepest first.
	for _, d := range slices.Backward(dirs) {
		if err := rmdirRetry(d); err != nil {
			return err
		}
	}
	return nil
}

func rmdirRetry(dir string) error {
	delay := time.Millisecond
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := unix.Rmdir(dir)
		switch {
		case err == nil || errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY) && time.Now().Before(deadline):
			time.Sleep(delay)
			delay = min(2*delay, 50*time.Millisecond)
		default:
			return fmt.Errorf("remove cgroup %q: %w", dir, err)
		}
	}
}

// Find returns the cgroup directories, in every hierarchy under the
// mount root and down to a few levels, whose name match accepts; it does
// not look inside them. husk's containers get cgroups named husk-...
// under their creator's own cgroups, wherever those are.
func Find(match func(name string) bool, opts ...Option) ([]string, error) {
	hs, err := discover(newConfig(opts))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range hs {
		depth := strings.Count(h.mountpoint, "/")
		filepath.WalkDir(h.mountpoint, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil || !d.IsDir():
				return nil
			case p != h.mountpoint && match(d.Name()):
				out = append(out, p)
				return fs.SkipDir
			case strings.Count(p, "/")-depth >= 6:
				return fs.SkipDir
			}
			return nil
		})
	}
	return out, nil
}

// DestroyNamed removes the cgroups named name (and what is nested in
// them) wherever Find finds them: those of a container whose creator died
// before it recorded where, under its own cgroups, it made them.
func DestroyNamed(name string, opts ...Option) error {
	dirs, err := Find(func(n string) bool { return n == name }, opts...)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range dirs {
		if err := removeTree(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

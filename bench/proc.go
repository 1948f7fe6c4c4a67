package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"husk/cgroups"
)

// memAvailable returns MemAvailable from /proc/meminfo, in KiB.
func memAvailable() (int64, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	return parseMeminfo(data, "MemAvailable")
}

// parseMeminfo returns the value of field (in kB) from the text of
// /proc/meminfo or of smaps_rollup, which share the "Name:  N kB" form.
func parseMeminfo(data []byte, field string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("no %s line", field)
}

// pss returns the proportional set size of pid in KiB, from
// /proc/PID/smaps_rollup (Linux 4.14).
func pss(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	return parseMeminfo(data, "Pss")
}

// procStat is what the benchmark reads of /proc/PID/stat.
type procStat struct {
	pid   int
	comm  string
	state byte
	ppid  int
}

// parseStat reads the text of /proc/PID/stat. The command name may hold
// spaces and parentheses, so the fields after it are counted from the
// last ')'.
func parseStat(s string) (procStat, error) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, errors.New("malformed /proc/PID/stat")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(s[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc/PID/stat: %w", err)
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return procStat{}, errors.New("short /proc/PID/stat")
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc/PID/stat: %w", err)
	}
	return procStat{pid: pid, comm: s[open+1 : end], state: f[0][0], ppid: ppid}, nil
}

// processes lists every process on the host.
func processes() ([]procStat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var ps []procStat
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // it exited meanwhile
		}
		if st, err := parseStat(string(data)); err == nil {
			ps = append(ps, st)
		}
	}
	return ps, nil
}

// descendants returns roots and every process below them in ps.
func descendants(ps []procStat, roots ...int) []int {
	children := map[int][]int{}
	for _, p := range ps {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	seen := map[int]bool{}
	var out []int
	var walk func(int)
	walk = func(pid int) {
		if seen[pid] {
			return
		}
		seen[pid] = true
		out = append(out, pid)
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, r := range roots {
		walk(r)
	}
	return out
}

// treePSS returns the summed PSS of the process trees under roots and how
// many processes they hold. A process gone meanwhile counts as nothing.
func treePSS(roots ...int) (int64, int, error) {
	ps, err := processes()
	if err != nil {
		return 0, 0, err
	}
	var sum int64
	n := 0
	for _, pid := range descendants(ps, roots...) {
		kib, err := pss(pid)
		if err != nil {
			continue
		}
		sum += kib
		n++
	}
	return sum, n, nil
}

// childrenNamed returns this process's children whose command name is
// comm.
func childrenNamed(comm string) []int {
	ps, _ := processes()
	self := os.Getpid()
	var out []int
	for _, p := range ps {
		if p.ppid == self && p.comm == comm {
			out = append(out, p.pid)
		}
	}
	return out
}

// reapZombies waits for every child of this process that has exited:
// container inits that the benchmark adopted as a subreaper (see
// becomeSubreaper). Only zombies are waited for, so a child that an
// exec.Cmd still owns and runs is left to it.
func reapZombies() {
	ps, _ := processes()
	self := os.Getpid()
	for _, p := range ps {
		if p.ppid == self && p.state == 'Z' {
			var ws unix.WaitStatus
			unix.Wait4(p.pid, &ws, unix.WNOHANG, nil)
		}
	}
}

// becomeSubreaper makes this process the reaper of the orphans of its
// descendants (prctl(2) PR_SET_CHILD_SUBREAPER). A container created by
// `huskrt create` or `runc run -d` outlives the runtime, and its init is
// reparented: without a subreaper it goes to pid 1, which on some hosts
// (this one included) never reaps, so every run would leave a zombie.
// As its reaper, the benchmark also waits for the init's exit directly.
func becomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl PR_SET_CHILD_SUBREAPER", err)
	}
	return nil
}

// huskCgroups returns the cgroup directories named husk-* on the host's
// cgroup mounts, down to a few levels: where husk, huskrt and runc put a
// container's cgroup under their caller's (husk-ID, or the container's
// ID, which the benchmark starts with husk-bench-).
func huskCgroups() []string {
	dirs, _ := cgroups.Find(func(name string) bool { return strings.HasPrefix(name, "husk-") })
	return dirs
}

// benchCgroups returns those of cgroups (see huskCgroups) that can be
// this benchmark's: named with its tag (runc's and crun's are the
// container id, huskrt's husk- and the id), or sitting right in a cgroup
// of this process that is not a hierarchy's root (husk's are husk-ID with
// a random ID, made under the caller's cgroup). Another session's
// containers, made under its own cgroups, are not counted; on a host
// where this process sits at every hierarchy's root, only the tagged
// ones can be told apart.
func benchCgroups(cgroups []string, tag string) []string {
	own := ownCgroupDirs()
	var out []string
	for _, p := range cgroups {
		if strings.Contains(filepath.Base(p), tag) || slices.Contains(own, filepath.Dir(p)) {
			out = append(out, p)
		}
	}
	return out
}

// ownCgroupDirs returns the directories of this process's cgroups that
// are below a hierarchy's root.
func ownCgroupDirs() []string {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	mounts := cgroupMounts()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		// HIERARCHY-ID:CONTROLLERS:PATH; v2 is 0::PATH.
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || f[2] == "/" {
			continue
		}
		for _, m := range mounts {
			if m.matches(f[1]) && strings.HasPrefix(f[2], m.root) {
				out = append(out, filepath.Join(m.point, strings.TrimPrefix(f[2], m.root)))
			}
		}
	}
	return out
}

// cgroupMount is a mounted cgroup hierarchy.
type cgroupMount struct {
	point       string
	root        string   // the mount's root within the hierarchy
	v2          bool     // cgroup2
	controllers []string // v1: the super options, controllers and name=
}

// matches reports whether m is the hierarchy of a /proc/PID/cgroup line
// with controllers ctrls ("" for v2, "cpu,cpuacct", "name=systemd").
func (m cgroupMount) matches(ctrls string) bool {
	if ctrls == "" {
		return m.v2
	}
	if m.v2 {
		return false
	}
	for _, c := range strings.Split(ctrls, ",") {
		if !slices.Contains(m.controllers, c) {
			return false
		}
	}
	return true
}

// cgroupMounts returns the cgroup and cgroup2 mounts this process sees.
func cgroupMounts() []cgroupMount {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	return parseCgroupMounts(string(data))
}

func parseCgroupMounts(mountinfo string) []cgroupMount {
	var out []cgroupMount
	for _, line := range strings.Split(mountinfo, "\n") {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 || (g[0] != "cgroup" && g[0] != "cgroup2") {
			continue
		}
		out = append(out, cgroupMount{point: f[4], root: f[3], v2: g[0] == "cgroup2",
			controllers: strings.Split(g[2], ",")})
	}
	return out
}

// cgroupMode says how the host's cgroups are mounted: "v2" (unified),
// "hybrid" (v1 controllers with a cgroup2 mount beside them, as
// systemd's hybrid layout has) or "v1".
func cgroupMode() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "v2"
	}
	if err := unix.Statfs("/sys/fs/cgroup/unified", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "hybrid"
	}
	return "v1"
}

// diskUsage returns the space the files under root take on disk
// (allocated blocks), counting a file with several hard links once.
func diskUsage(root string) (int64, error) {
	type ino struct{ dev, ino uint64 }
	seen := map[ino]bool{}
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return &os.PathError{Op: "lstat", Path: p, Err: err}
		}
		k := ino{uint64(st.Dev), st.Ino}
		if seen[k] {
			return nil
		}
		seen[k] = true
		total += st.Blocks * 512
		return nil
	})
	return total, err
}

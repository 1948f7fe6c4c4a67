package cgroups

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Manager places processes in one container's cgroup and controls it. It
// holds the resolved directories only; every method reads or writes
// cgroupfs afresh, so a Manager made by New in a later process (huskrt
// delete after huskrt create) sees the same cgroup.
type Manager interface {
	// Path returns the cgroup's path inside its hierarchy, as
	// /proc/PID/cgroup shows it for a member. On v1 hosts where the
	// caller's own cgroup differs between hierarchies and cgroupsPath is
	// relative, it is the path in the first mounted of memory, pids, cpu
	// and freezer.
	Path() string
	// Create makes the cgroup's directory in every hierarchy. On v2 it
	// enables, in the subtree_control of the parent of each directory it
	// creates, every controller that parent offers; on v1 it fills the
	// cpuset.cpus and cpuset.mems of the cpuset directories it creates from
	// their parents, since a v1 cpuset cgroup without them takes no tasks.
	Create() error
	// Apply writes every resource of r. A resource this layout cannot
	// enforce, or whose controller is not mounted or enabled, is an error
	// naming the config.json field (linux.resources....). nil r is a no-op.
	Apply(r *specs.LinuxResources) error
	// Add moves process pid (all its threads) into the cgroup.
	Add(pid int) error
	// CgroupFD opens the cgroup2 directory O_PATH|O_DIRECTORY for
	// clone3(CLONE_INTO_CGROUP); the caller closes it. On hybrid and
	// legacy hosts it is an error: there the child must be Added.
	CgroupFD() (int, error)
	// CloneInto readies the calling thread so that the next process it
	// clones starts inside the cgroup; see Clone.
	CloneInto() (*Clone, error)
	// CloneJoining is CloneInto for a child that enters the cgroup's v1
	// directories by itself: the calling thread stays where it is, and
	// the child writes "0" to each of the Clone's Tasks while it is
	// single-threaded, before it runs anything of the container (the
	// thread's two moves, into the cgroup and back, took longer). It
	// makes the cgroup2 directory, when the layout has one, for the clone
	// to go into; Create makes the rest, and must have returned before
	// the child joins.
	CloneJoining() (*Clone, error)
	// Procs lists the pids in the cgroup, sorted; with recursive, those
	// of nested cgroups too.
	Procs(recursive bool) ([]int, error)
	// Freeze stops every process in the cgroup and returns once the
	// kernel reports the cgroup frozen.
	Freeze() error
	// Thaw resumes a frozen cgroup and returns once it is thawed.
	Thaw() error
	// Frozen reports the effective state: true also when an ancestor is
	// frozen.
	Frozen() (bool, error)
	// Kill sends sig to every process in the cgroup and nested cgroups.
	// For SIGKILL it returns once the cgroup is empty (or fails after a
	// few seconds, naming the survivors).
	Kill(sig unix.Signal) error
	// Stats reads the usage counters; controllers that are not there
	// leave their part zero.
	Stats() (*Stats, error)
	// OOMKills returns how many processes the OOM killer has killed in
	// the cgroup (and, on v2, its descendants).
	OOMKills() (uint64, error)
	// Destroy removes the cgroup and nested cgroups, deepest first, in
	// every hierarchy. They must be empty; a busy one is retried for a
	// moment. Directories already gone are fine.
	Destroy() error
}

// Option changes where New and Detect look.
type Option func(*config)

type config struct {
	mountRoot string // where the hierarchies are mounted
	procRoot  string // where self/cgroup and self/mountinfo are read
	// self, when set, is the caller's view given as data (WithSelf).
	self *View
}

func newConfig(opts []Option) *config {
	c := &config{mountRoot: "/sys/fs/cgroup", procRoot: "/proc"}
	for _, o := range opts {
		o(c)
	}
	c.mountRoot = filepath.Clean(c.mountRoot)
	return c
}

// WithMountRoot looks for the cgroup hierarchies under dir instead of
// /sys/fs/cgroup. Tests point it at a temporary tree of pre-created
// files, which is read by its directory names (see Detect).
func WithMountRoot(dir string) Option {
	return func(c *config) { c.mountRoot = dir }
}

// WithProcRoot reads self/cgroup and self/mountinfo under dir instead of
// /proc, so tests can give the caller a cgroup of their choosing.
func WithProcRoot(dir string) Option {
	return func(c *config) { c.procRoot = dir }
}

// View is what a process sees of cgroups: its /proc/self/cgroup and
// /proc/self/mountinfo. A relative cgroupsPath is resolved against the
// creator's view, which a later caller in another cgroup must reuse.
type View struct {
	Cgroup    string `json:"cgroup"`
	Mountinfo string `json:"mountinfo"`
}

// SelfView reads this process's View.
func SelfView() (*View, error) {
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	return &View{Cgroup: string(cg), Mountinfo: string(mi)}, nil
}

// WithSelf resolves paths against v instead of this process's own view.
func WithSelf(v *View) Option {
	return func(c *config) { c.self = v }
}

// New resolves cgroupsPath in every hierarchy of this host and returns the
// Manager for it; it creates nothing.
//
// An absolute cgroupsPath is taken from each hierarchy's root (the mount
// point). A relative one is placed under the caller's own cgroup of each
// hierarchy, read from /proc/self/cgroup, so a nested runtime or a test
// stays inside its parent. cgroupsPath must name a cgroup: "" (the caller
// then has to generate a name), paths with a ".." element and systemd's
// "slice:prefix:name" form (there is no systemd driver) are errors.
func New(cgroupsPath string, opts ...Option) (Manager, error) {
	c := newConfig(opts)
	if err := validatePath(cgroupsPath); err != nil {
		return nil, err
	}
	hs, err := discover(c)
	if err != nil {
		return nil, err
	}
	layout, err := layoutOf(hs, c.mountRoot)
	if err != nil {
		return nil, err
	}
	var self map[string]string
	if !filepath.IsAbs(cgroupsPath) {
		if self, err = readProcCgroup(c); err != nil {
			return nil, err
		}
	}
	if layout == Unified {
		return newV2(hs, self, cgroupsPath)
	}
	return newV1(layout, hs, self, cgroupsPath)
}

// fieldError is an Apply error for one config.json field.
func fieldError(field string, err error) error {
	return fmt.Errorf("linux.resources.%s: %w", field, err)
}

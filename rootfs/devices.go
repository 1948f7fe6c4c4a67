package rootfs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// defaultDeviceMode is the mode of a device node whose spec entry has no
// fileMode, and of the standard nodes.
const defaultDeviceMode os.FileMode = 0o666

// standardDevices are the nodes every container with a fresh /dev gets,
// whatever spec.Linux.Devices says; runc and crun create the same set.
var standardDevices = []struct {
	path         string
	major, minor int64
}{
	{"/dev/null", 1, 3},
	{"/dev/zero", 1, 5},
	{"/dev/full", 1, 7},
	{"/dev/random", 1, 8},
	{"/dev/urandom", 1, 9},
	{"/dev/tty", 5, 0},
}

// devNode is one device node to create, with every default filled in.
type devNode struct {
	Path         string // clean, absolute inside the rootfs
	Type         string // "c", "b" or "p" ("u" is stored as "c")
	Major, Minor int64
	Mode         os.FileMode // permission bits only
	UID, GID     uint32
}

// devNodes lists the nodes Setup creates in a fresh /dev: the standard
// ones first, each replaced by the spec's entry for the same path when
// there is one (so the spec decides owners and mode), then the spec's
// other devices in spec order.
func devNodes(devs []specs.LinuxDevice) ([]devNode, error) {
	byPath := make(map[string]devNode, len(devs))
	var order []string
	for _, d := range devs {
		n, err := toDevNode(d)
		if err != nil {
			return nil, err
		}
		if _, dup := byPath[n.Path]; !dup {
			order = append(order, n.Path)
		}
		byPath[n.Path] = n
	}
	nodes := make([]devNode, 0, len(standardDevices)+len(order))
	for _, s := range standardDevices {
		n, ok := byPath[s.path]
		if !ok {
			n = devNode{Path: s.path, Type: "c", Major: s.major, Minor: s.minor,
				Mode: defaultDeviceMode}
		}
		delete(byPath, s.path)
		nodes = append(nodes, n)
	}
	for _, p := range order {
		if n, ok := byPath[p]; ok {
			nodes = append(nodes, n)
		}
	}
	return nodes, nil
}

// toDevNode checks one spec device and fills in its defaults.
func toDevNode(d specs.LinuxDevice) (devNode, error) {
	if !filepath.IsAbs(d.Path) {
		return devNode{}, fmt.Errorf("device path %q is not absolute", d.Path)
	}
	n := devNode{
		Path:  filepath.Clean(d.Path),
		Type:  d.Type,
		Major: d.Major,
		Minor: d.Minor,
		Mode:  defaultDeviceMode,
	}
	if n.Path == "/" {
		return devNode{}, fmt.Errorf("device path %q is the rootfs itself", d.Path)
	}
	switch d.Type {
	case "c", "b", "p":
	case "u": // unbuffered character device
		n.Type = "c"
	default:
		return devNode{}, fmt.Errorf("device %q: type %q is not one of c, u, b, p", d.Path, d.Type)
	}
	if d.FileMode != nil {
		n.Mode = d.FileMode.Perm()
	}
	if d.UID != nil {
		n.UID = *d.UID
	}
	if d.GID != nil {
		n.GID = *d.GID
	}
	return n, nil
}

// devSymlink is one symlink in a fresh /dev.
type devSymlink struct {
	Name   string // under /dev
	Target string
}

// devSymlinks lists the symlinks of a fresh /dev. /dev/core only makes
// sense when the container has its own /proc.
func devSymlinks(withProc bool) []devSymlink {
	links := []devSymlink{
		{"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"},
		// The container's devpts instance (newinstance) is mounted on
		// /dev/pts and has its own ptmx; the link makes /dev/ptmx allocate
		// terminals there.
		{"ptmx", "pts/ptmx"},
	}
	if withProc {
		links = append(links, devSymlink{"core", "/proc/kcore"})
	}
	return links
}

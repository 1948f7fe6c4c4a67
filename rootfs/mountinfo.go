package rootfs

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// mountInfo is one line of /proc/<pid>/mountinfo, fields named after
// proc(5).
type mountInfo struct {
	ID, Parent   int
	Root         string // root of the mount within its filesystem
	MountPoint   string
	Options      string   // per-mount options: "rw,nosuid,relatime"
	Optional     []string // propagation tags: "shared:1", "master:2"
	FSType       string
	Source       string
	SuperOptions string
}

// Shared reports whether the mount is in a peer group, so that mounts
// made under it propagate to its peers.
func (m mountInfo) Shared() bool {
	for _, o := range m.Optional {
		if strings.HasPrefix(o, "shared:") {
			return true
		}
	}
	return false
}

// parseMountinfo reads mountinfo lines from r. Setup uses it to find the
// propagation of mounts around the rootfs, tests to see what is mounted.
func parseMountinfo(r io.Reader) ([]mountInfo, error) {
	var infos []mountInfo
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		m, err := parseMountinfoLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d %q: %w", n, line, err)
		}
		infos = append(infos, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return infos, nil
}

// parseMountinfoLine parses one line: six fixed fields, optional fields up
// to a lone "-", then fstype, source and super options.
func parseMountinfoLine(line string) (mountInfo, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if len(f) < 7 || sep < 0 || len(f) < sep+4 {
		return mountInfo{}, fmt.Errorf("want at least 10 fields around a \"-\"")
	}
	id, err := strconv.Atoi(f[0])
	if err != nil {
		return mountInfo{}, fmt.Errorf("mount id: %w", err)
	}
	parent, err := strconv.Atoi(f[1])
	if err != nil {
		return mountInfo{}, fmt.Errorf("parent id: %w", err)
	}
	return mountInfo{
		ID:           id,
		Parent:       parent,
		Root:         unescapeOctal(f[3]),
		MountPoint:   unescapeOctal(f[4]),
		Options:      f[5],
		Optional:     f[6:sep],
		FSType:       f[sep+1],
		Source:       unescapeOctal(f[sep+2]),
		SuperOptions: f[sep+3],
	}, nil
}

// unescapeOctal undoes the kernel's \ooo escapes of space, tab, newline
// and backslash in mountinfo paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1:i+4]) {
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	for _, c := range s {
		if c < '0' || c > '7' {
			return false
		}
	}
	return len(s) == 3
}

// mountOf returns the mount that path (clean and absolute) is on: of the
// entries whose mount point is path or its nearest ancestor, the last
// one, since a later mount on the same point lies on top.
func mountOf(infos []mountInfo, path string) (mountInfo, bool) {
	var best mountInfo
	found := false
	for _, m := range infos {
		if !isUnder(path, m.MountPoint) {
			continue
		}
		if !found || len(m.MountPoint) >= len(best.MountPoint) {
			best, found = m, true
		}
	}
	return best, found
}

// isUnder reports whether path is dir or inside it; both clean, absolute.
func isUnder(path, dir string) bool {
	if dir == "/" || path == dir {
		return true
	}
	return strings.HasPrefix(path, dir+"/")
}

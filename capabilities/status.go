package capabilities

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// statusPath is the calling thread's status file. /proc/self/status would
// show the thread group leader, whose capabilities differ from those of the
// locked init thread once DropBounding, SetUser or Apply have run on it.
const statusPath = "/proc/thread-self/status"

// Current returns the capability sets of the calling OS thread, read from
// /proc/thread-self/status (Linux 3.17). Call it on the locked thread whose
// sets you want; on any other goroutine the answer is for whichever thread
// it happens to run on. Each list is in capability number order.
func Current() (specs.LinuxCapabilities, error) {
	f, err := os.Open(statusPath)
	if err != nil {
		return specs.LinuxCapabilities{}, err
	}
	defer f.Close()
	caps, err := ParseStatus(f)
	if err != nil {
		return caps, fmt.Errorf("parse %s: %w", statusPath, err)
	}
	return caps, nil
}

// statusField returns the set that a proc(5) status field fills, or nil
// for a field that is not a capability set.
func statusField(c *specs.LinuxCapabilities, key string) *[]string {
	switch key {
	case "CapInh":
		return &c.Inheritable
	case "CapPrm":
		return &c.Permitted
	case "CapEff":
		return &c.Effective
	case "CapBnd":
		return &c.Bounding
	case "CapAmb":
		return &c.Ambient
	}
	return nil
}

// ParseStatus reads the CapInh, CapPrm, CapEff, CapBnd and CapAmb lines of a
// proc(5) status file (or of `grep Cap` output from one) and returns each
// set as capability names in number order. Other lines are ignored.
// CapInh, CapPrm, CapEff and CapBnd are required; CapAmb is optional
// because kernels before 4.3 have no ambient set.
func ParseStatus(r io.Reader) (specs.LinuxCapabilities, error) {
	var caps specs.LinuxCapabilities
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		key, value, ok := strings.Cut(sc.Text(), ":")
		set := statusField(&caps, key)
		if !ok || set == nil {
			continue
		}
		value = strings.TrimSpace(value)
		m, err := strconv.ParseUint(value, 16, 64)
		if err != nil {
			return caps, fmt.Errorf("line %d: %s %q is not a 64-bit hex mask", line, key, value)
		}
		*set = names(m)
		seen[key] = true
	}
	if err := sc.Err(); err != nil {
		return caps, err
	}
	for _, key := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd"} {
		if !seen[key] {
			return caps, fmt.Errorf("no %s line", key)
		}
	}
	return caps, nil
}

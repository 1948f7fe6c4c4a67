package cgroups

import (
	"fmt"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// cpusetWanted reports whether c restricts CPUs or memory nodes.
func cpusetWanted(c *specs.LinuxCPU) bool {
	return c != nil && (c.Cpus != "" || c.Mems != "")
}

// setCpuset writes cpuset.cpus and cpuset.mems, the same files on v1 and
// v2. The kernel checks them against the parent's (EINVAL for CPUs or
// nodes the parent does not have).
func setCpuset(dir string, c *specs.LinuxCPU) error {
	if c.Cpus != "" {
		if err := writeFile(dir, "cpuset.cpus", c.Cpus); err != nil {
			return fieldError("cpu.cpus", err)
		}
	}
	if c.Mems != "" {
		if err := writeFile(dir, "cpuset.mems", c.Mems); err != nil {
			return fieldError("cpu.mems", err)
		}
	}
	return nil
}

// initCpuset copies cpuset.cpus and cpuset.mems from the parent into each
// v1 cpuset directory that Create made (outermost first) and left empty.
// A v1 cpuset cgroup starts with both empty unless the parent has
// cgroup.clone_children set, and refuses tasks (ENOSPC) until they are
// filled. Directories that existed before are left as they are.
func initCpuset(created []string) error {
	for _, d := range created {
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			cur, err := readFile(d, f)
			if err != nil {
				return fmt.Errorf("initialise cpuset %q: %w", d, err)
			}
			if cur != "" {
				continue
			}
			v, err := readFile(filepath.Dir(d), f)
			if err != nil {
				return fmt.Errorf("initialise cpuset %q: %w", d, err)
			}
			if err := writeFile(d, f, v); err != nil {
				return fmt.Errorf("initialise cpuset: %w", err)
			}
		}
	}
	return nil
}

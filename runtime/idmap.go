package runtime

import (
	"fmt"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// idMappings passes the spec's uid and gid mappings to the clone that
// creates a new user namespace; Go writes them while the child waits.
func idMappings(spec *specs.Spec, attr *syscall.SysProcAttr) error {
	if spec.Linux == nil || !hasNamespace(spec, specs.UserNamespace, true) {
		if spec.Linux != nil && (len(spec.Linux.UIDMappings) > 0 || len(spec.Linux.GIDMappings) > 0) &&
			!hasNamespace(spec, specs.UserNamespace, false) {
			return fmt.Errorf("linux.uidMappings: set without a user namespace")
		}
		return nil
	}
	if len(spec.Linux.UIDMappings) == 0 || len(spec.Linux.GIDMappings) == 0 {
		return fmt.Errorf("linux.namespaces: a new user namespace needs linux.uidMappings and linux.gidMappings")
	}
	attr.UidMappings = toSysMaps(spec.Linux.UIDMappings)
	attr.GidMappings = toSysMaps(spec.Linux.GIDMappings)
	// The mappings are written by a privileged parent, so the container
	// may keep setgroups(2), which its process needs for its groups.
	attr.GidMappingsEnableSetgroups = true
	return nil
}

func toSysMaps(in []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(in))
	for i, m := range in {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}

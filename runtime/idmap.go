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
	// Become the namespace's root once the maps are written: the caller's
	// uid is not mapped in it, and only uid 0 there keeps capabilities
	// across the exec of the init.
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}}
	return nil
}

// hostRoot returns the host uid and gid that are root in the container's
// user namespace, or 0, 0 without one.
func hostRoot(spec *specs.Spec) (int, int) {
	if spec.Linux == nil || !hasNamespace(spec, specs.UserNamespace, true) {
		return 0, 0
	}
	return hostID(spec.Linux.UIDMappings), hostID(spec.Linux.GIDMappings)
}

func hostID(maps []specs.LinuxIDMapping) int {
	for _, m := range maps {
		if m.ContainerID == 0 {
			return int(m.HostID)
		}
	}
	return 0
}

func toSysMaps(in []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(in))
	for i, m := range in {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}

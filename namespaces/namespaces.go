package namespaces

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// flagOf maps each namespace type of the runtime spec to its clone flag.
var flagOf = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

// Default returns the namespaces every husk container gets: new mount, pid,
// uts, ipc, network and cgroup namespaces, none joined by path.
func Default() []specs.LinuxNamespace {
	return []specs.LinuxNamespace{
		{Type: specs.PIDNamespace},
		{Type: specs.NetworkNamespace},
		{Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace},
		{Type: specs.MountNamespace},
		{Type: specs.CgroupNamespace},
	}
}

// CloneFlags returns the CLONE_NEW* flags that create the new namespaces in
// ns; those with a path are joined instead (see Joins). An unknown type or
// a type listed twice is an error naming it.
func CloneFlags(ns []specs.LinuxNamespace) (uintptr, error) {
	var flags uintptr
	for _, n := range ns {
		f, ok := flagOf[n.Type]
		if !ok {
			return 0, fmt.Errorf("linux.namespaces: unknown namespace type %q", n.Type)
		}
		if flags&f != 0 {
			return 0, fmt.Errorf("linux.namespaces: %q listed twice", n.Type)
		}
		if n.Path != "" {
			if n.Type == specs.UserNamespace && len(ns) > 1 && hasNew(ns) {
				return 0, fmt.Errorf("linux.namespaces: joining the user namespace at %q while creating others is not supported", n.Path)
			}
			continue
		}
		flags |= f
	}
	return flags, nil
}

func hasNew(ns []specs.LinuxNamespace) bool {
	for _, n := range ns {
		if n.Path == "" {
			return true
		}
	}
	return false
}

// Has reports whether ns lists a namespace of type t.
func Has(ns []specs.LinuxNamespace, t specs.LinuxNamespaceType) bool {
	for _, n := range ns {
		if n.Type == t {
			return true
		}
	}
	return false
}

package namespaces

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// EnvJoin names the environment variable that tells husk-init
// (cmd/husk-init/nsenter.c) which fd to read the namespaces to join from.
const EnvJoin = "_HUSK_NSENTER"

// Join is a namespace to enter by path.
type Join struct {
	Type specs.LinuxNamespaceType
	Path string
}

// procName is each type's file name under /proc/PID/ns.
var procName = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// Joins returns the namespaces of ns that are joined by path.
func Joins(ns []specs.LinuxNamespace) []Join {
	var out []Join
	for _, n := range ns {
		if n.Path != "" {
			out = append(out, Join{Type: n.Type, Path: n.Path})
		}
	}
	return out
}

// OfProcess returns, for every namespace type in ns, the namespace of
// process pid: what an exec'd process joins to enter a container.
func OfProcess(pid int, ns []specs.LinuxNamespace) []Join {
	out := make([]Join, 0, len(ns))
	for _, n := range ns {
		path := "/proc/" + strconv.Itoa(pid) + "/ns/" + procName[n.Type]
		out = append(out, Join{Type: n.Type, Path: path})
	}
	return out
}

// JoinsPid reports whether join enters a pid namespace, after which the
// joining process must fork once more to be inside it.
func JoinsPid(join []Join) bool {
	for _, j := range join {
		if j.Type == specs.PIDNamespace {
			return true
		}
	}
	return false
}

// JoinEnv is the environment entry that makes husk-init read its
// namespaces from fd.
func JoinEnv(fd int) string {
	return EnvJoin + "=" + strconv.Itoa(fd)
}

// SendJoin writes join to husk-init as one packet of lines
// "CLONE_FLAG PATH". Every path is checked to be a namespace file first,
// so a typo fails here with its name rather than as a bare errno there.
func SendJoin(fd int, join []Join) error {
	var b strings.Builder
	for _, j := range join {
		flag, ok := flagOf[j.Type]
		if !ok {
			return fmt.Errorf("linux.namespaces: unknown namespace type %q", j.Type)
		}
		if strings.ContainsAny(j.Path, "\n\x00") {
			return fmt.Errorf("linux.namespaces: %s path %q: bad character", j.Type, j.Path)
		}
		if _, err := os.Stat(j.Path); err != nil {
			return fmt.Errorf("linux.namespaces: %s namespace: %w", j.Type, err)
		}
		fmt.Fprintf(&b, "%d %s\n", flag, j.Path)
	}
	if err := unix.Sendmsg(fd, []byte(b.String()), nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("send namespaces to join: %w", err)
	}
	return nil
}

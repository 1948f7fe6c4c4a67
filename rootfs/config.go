package rootfs

import "github.com/opencontainers/runtime-spec/specs-go"

// Config is what Setup needs: the spec, read for Root, Mounts and the
// Linux fields RootfsPropagation, Devices, Sysctl, MaskedPaths and
// ReadonlyPaths, and how the rootfs is mounted.
type Config struct {
	// Spec is the container's spec. Spec.Root.Path is the absolute host
	// path of the rootfs directory, the mount point of the rootfs.
	Spec *specs.Spec
	// RootMount, when set, is mounted at Spec.Root.Path (usually the
	// overlay of an image's layers, see image.Store.RootfsMount). When nil
	// the directory is bind-mounted onto itself, as for a bundle whose
	// rootfs is a plain directory.
	RootMount *specs.Mount
	// BeforePivot, when set, runs once every mount is in place and before
	// pivot_root: the point where the runtime spec runs the createRuntime
	// and createContainer hooks. Its error is returned as it is.
	BeforePivot func() error `json:"-"`
}

// DefaultMounts returns the mounts runc and Docker give a container by
// default, in mount order: /proc, a tmpfs /dev, /dev/pts, /dev/shm,
// /dev/mqueue, a read-only /sys and a read-only /sys/fs/cgroup. It returns
// a new slice on every call, so callers may change it.
func DefaultMounts() []specs.Mount {
	return []specs.Mount{
		{
			Destination: "/proc", Type: "proc", Source: "proc",
			Options: []string{"nosuid", "noexec", "nodev"},
		},
		{
			Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
		},
		{
			Destination: "/dev/pts", Type: "devpts", Source: "devpts",
			Options: []string{
				"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5",
			},
		},
		{
			Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
			Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"},
		},
		{
			Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
			Options: []string{"nosuid", "noexec", "nodev"},
		},
		{
			Destination: "/sys", Type: "sysfs", Source: "sysfs",
			Options: []string{"nosuid", "noexec", "nodev", "ro"},
		},
		{
			Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
			Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"},
		},
	}
}

// DefaultMaskedPaths returns Docker's list of paths hidden from a
// container: files in /proc and /sys that leak host details or let a
// container poke the host. A new slice on every call.
func DefaultMaskedPaths() []string {
	return []string{
		"/proc/asound",
		"/proc/acpi",
		"/proc/interrupts",
		"/proc/kcore",
		"/proc/keys",
		"/proc/latency_stats",
		"/proc/timer_list",
		"/proc/timer_stats",
		"/proc/sched_debug",
		"/proc/scsi",
		"/sys/firmware",
		"/sys/devices/virtual/powercap",
	}
}

// DefaultReadonlyPaths returns Docker's list of paths made read-only in a
// container: the parts of /proc that configure the host kernel. A new
// slice on every call.
func DefaultReadonlyPaths() []string {
	return []string{
		"/proc/bus",
		"/proc/fs",
		"/proc/irq",
		"/proc/sys",
		"/proc/sysrq-trigger",
	}
}

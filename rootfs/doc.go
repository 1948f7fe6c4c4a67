// Package rootfs builds a container's filesystem view inside the
// container's init process: it mounts the rootfs and the spec's mounts,
// fills a fresh /dev, switches the root with pivot_root(2), writes sysctls,
// makes the read-only paths read-only and hides the masked ones.
//
// Setup is the one entry point. Callers must uphold its invariants: it runs
// in the init process only (never in the CLI or an exec process), as root,
// already inside the container's new mount namespace (and the pid, ipc,
// net and cgroup namespaces the spec asks for, since /proc, mqueue, sysfs
// and sysctls follow them), and before the user process is executed.
// Spec.Root.Path is an absolute host path. What comes after the root
// switch (hostname, console, rlimits, capabilities, user, execve) is the
// runtime package's job, not this one's.
//
// Every mount target inside the rootfs is resolved by the kernel with
// openat2(2) RESOLVE_IN_ROOT (Linux 5.6) from an fd of the rootfs, and the
// mount made through /proc/self/fd/N, so a symlink in an image cannot send
// a mount onto the host. Recursive options such as "rro" use
// mount_setattr(2) (Linux 5.12).
//
// The decisions (option parsing, the calls each mount needs, device and
// symlink lists, sysctl paths, mountinfo parsing) are plain functions
// apart from the syscalls, and are table-tested without root. The rest is
// tested by running Setup in a child process in new namespaces.
//
// Not here: unpacking images and building the overlay options (package
// image hands them over as a specs.Mount), cgroups, and the checks of a
// spec that do not concern mounts. On a host with cgroup v1 or hybrid
// cgroups a "cgroup" mount becomes an empty tmpfs rather than the
// container's cgroups.
package rootfs

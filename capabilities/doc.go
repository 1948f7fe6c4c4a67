// Package capabilities sets the Linux capability sets of the container's
// init thread just before it execve(2)s the container process.
//
// It speaks to the kernel directly: capset(2) with
// _LINUX_CAPABILITY_VERSION_3 (two 32-bit words per set), prctl(2)
// PR_CAPBSET_READ / PR_CAPBSET_DROP for the bounding set and PR_CAP_AMBIENT
// for the ambient set. Names follow capabilities(7) ("CAP_CHOWN"); they are
// accepted with or without the "CAP_" prefix and in any case.
//
// # Threads
//
// Capabilities and credentials belong to a thread, not to a process. Every
// call that changes them (DropBounding, Apply, SetUser) changes only the
// calling OS thread, so the caller must have called runtime.LockOSThread,
// must never unlock it, and must execve(2) from that same goroutine (for
// example with unix.Exec). An exec from any other thread, including the one
// os/exec forks from, would run with the runtime's original root
// credentials. Current reads /proc/thread-self/status for the same reason.
//
// # Sequence
//
// The init process, running as root with CAP_SETPCAP, does:
//
//	DropBounding(spec.Capabilities.Bounding)  // needs CAP_SETPCAP, so first
//	SetUser(uid, gid, groups, spec.Capabilities)
//	unix.Exec(...)                            // same locked thread
//
// SetUser in turn sets PR_SET_KEEPCAPS so that switching away from uid 0
// keeps the permitted set, calls setgroups(2), setresgid(2) and
// setresuid(2), clears PR_SET_KEEPCAPS again, and finally calls Apply to set
// the effective, permitted and inheritable sets and raise the ambient ones.
// For a non-root process the effective set after execve(2) is the ambient
// set (files without file capabilities), so a non-root container process
// keeps capabilities only if the spec lists them as ambient.
//
// # Kernel support
//
// The name table runs up to CAP_CHECKPOINT_RESTORE (40, Linux 5.9).
// Capabilities the running kernel does not know (numbers above
// /proc/sys/kernel/cap_last_cap) are skipped without error, as runc does;
// Unsupported lists them so the caller can log a warning. This package does
// not log.
//
// This package does not handle file capabilities, securebits beyond
// KEEP_CAPS, or no_new_privs; the runtime sets the latter itself.
package capabilities

package capabilities

import (
	"fmt"
	"os"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SetUser switches the calling thread to uid, gid and the supplementary
// groups (nil or empty clears them), then calls Apply(c). It sets
// PR_SET_KEEPCAPS around the switch so that leaving uid 0 keeps the
// permitted set for Apply to narrow; the kernel still clears the effective
// set on that switch, which Apply restores from c. With a nil c the
// capabilities are left as the switch leaves them: all of them for uid 0,
// an empty effective set (and nothing after execve(2)) for any other uid.
//
// Call DropBounding first, while the thread still has CAP_SETPCAP. Like
// the rest of the package it acts on the calling thread only; see the
// package documentation.
func SetUser(uid, gid uint32, groups []uint32, c *specs.LinuxCapabilities) error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl PR_SET_KEEPCAPS", err)
	}
	if err := setgroups(groups); err != nil {
		return fmt.Errorf("set supplementary groups %v: %w", groups, err)
	}
	if err := setresid(sysSetresgid, gid); err != nil {
		return fmt.Errorf("set gid %d: %w", gid, os.NewSyscallError("setresgid", err))
	}
	if err := setresid(sysSetresuid, uid); err != nil {
		return fmt.Errorf("set uid %d: %w", uid, os.NewSyscallError("setresuid", err))
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl PR_SET_KEEPCAPS", err)
	}
	return Apply(c)
}

// The credential calls below go straight to the kernel, which changes only
// the calling thread. The wrappers in package syscall (and those in
// golang.org/x/sys/unix, which forward to them) instead change every
// thread of the process through the runtime's AllThreadsSyscall since
// Go 1.16: that signals each runtime thread, fails with ENOTSUP when cgo is
// linked in, and buys nothing here, because only the locked thread that
// will execve(2) matters and execve(2) ends the others. RawSyscall rather
// than Syscall because these calls never block, so the scheduler need not
// be told; runc does the same.

// setresid calls setresuid(2) or setresgid(2) with id as the real,
// effective and saved id.
func setresid(trap uintptr, id uint32) error {
	_, _, errno := unix.RawSyscall(trap, uintptr(id), uintptr(id), uintptr(id))
	if errno != 0 {
		return errno
	}
	return nil
}

// setgroups calls setgroups(2) on the calling thread only.
func setgroups(groups []uint32) error {
	var p unsafe.Pointer
	if len(groups) > 0 {
		p = unsafe.Pointer(&groups[0])
	}
	_, _, errno := unix.RawSyscall(sysSetgroups, uintptr(len(groups)), uintptr(p), 0)
	if errno != 0 {
		return os.NewSyscallError("setgroups", errno)
	}
	return nil
}

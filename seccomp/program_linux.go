package seccomp

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// sockFilter is one classic BPF instruction (struct sock_filter).
type sockFilter = unix.SockFilter

// Program is a compiled seccomp filter, ready to load.
type Program struct {
	// Filter is the classic BPF program, at most 4096 instructions long.
	Filter []unix.SockFilter
	// Flags are the SECCOMP_FILTER_FLAG_* bits for seccomp(2).
	Flags uint
	// Unknown lists, in profile order, the syscall names that no
	// architecture of the filter has. Their rules were left out, as
	// libseccomp leaves them out; callers may warn about them.
	Unknown []string
}

// Compile compiles an OCI seccomp profile into a filter for this host's
// architecture plus the profile's architectures. It only computes: nothing
// is loaded. Errors name the profile field, syscall or arch at fault.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	return compileFor(s, nativeArch(runtime.GOARCH))
}

// Load installs p on the calling thread with seccomp(2)
// SECCOMP_SET_MODE_FILTER and p.Flags, falling back to prctl(2)
// PR_SET_SECCOMP when the kernel has no seccomp(2) (then p.Flags must be 0).
//
// A filter belongs to the thread that loads it (and, with
// SECCOMP_FILTER_FLAG_TSYNC, to its sibling threads) and to everything it
// forks or execs afterwards; it can never be removed. So the caller must
// have called runtime.LockOSThread and must execve(2) from the same
// goroutine. The thread must have set no_new_privs
// (prctl(PR_SET_NO_NEW_PRIVS)) or hold CAP_SYS_ADMIN, or the kernel
// refuses with EACCES.
func (p *Program) Load() error {
	if len(p.Filter) == 0 || len(p.Filter) > maxInsns {
		return fmt.Errorf("load seccomp filter: %d instructions, want 1 to %d",
			len(p.Filter), maxInsns)
	}
	prog := unix.SockFprog{Len: uint16(len(p.Filter)), Filter: &p.Filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		uintptr(p.Flags), uintptr(unsafe.Pointer(&prog)))
	op := "seccomp"
	if errno == unix.ENOSYS {
		if p.Flags != 0 {
			return fmt.Errorf("load seccomp filter: flags %#x need seccomp(2), "+
				"which this kernel lacks", p.Flags)
		}
		op = "prctl(PR_SET_SECCOMP)"
		_, _, errno = unix.Syscall(unix.SYS_PRCTL, unix.PR_SET_SECCOMP,
			unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)))
		r = 0
	}
	runtime.KeepAlive(p)
	switch {
	case errno == unix.EACCES:
		return fmt.Errorf("load seccomp filter (set no_new_privs or hold CAP_SYS_ADMIN): %w",
			os.NewSyscallError(op, errno))
	case errno == unix.EINVAL && p.Flags != 0:
		return fmt.Errorf("load seccomp filter with flags %#x: %w", p.Flags,
			os.NewSyscallError(op, errno))
	case errno != 0:
		return fmt.Errorf("load seccomp filter: %w", os.NewSyscallError(op, errno))
	case r != 0:
		// With SECCOMP_FILTER_FLAG_TSYNC the kernel returns the ID of a
		// thread it could not synchronize, and loads nothing.
		return fmt.Errorf("load seccomp filter: thread %d cannot be synchronized (TSYNC)", r)
	}
	return nil
}

// supportedFlags asks the kernel which of knownFlags it accepts: it checks
// flags before it reads the program, so a NULL program fails with EFAULT
// for a known set of flags and with EINVAL otherwise. Nothing is loaded.
func supportedFlags() []string {
	out := []string{}
	for _, f := range knownFlags {
		probe := f.value
		if probe == flagWaitKillableRecv {
			probe |= flagNewListener // the kernel refuses it alone
		}
		_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
			uintptr(probe), 0)
		if errors.Is(errno, unix.EFAULT) {
			out = append(out, string(f.name))
		}
	}
	return out
}

// enabled reports that filters can be loaded on this OS.
const enabled = true

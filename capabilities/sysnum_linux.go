//go:build linux && !386 && !arm

package capabilities

import "golang.org/x/sys/unix"

// System call numbers of the credential calls that take 32-bit ids.
const (
	sysSetgroups = unix.SYS_SETGROUPS
	sysSetresgid = unix.SYS_SETRESGID
	sysSetresuid = unix.SYS_SETRESUID
)

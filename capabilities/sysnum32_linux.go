//go:build linux && (386 || arm)

package capabilities

import "golang.org/x/sys/unix"

// System call numbers of the credential calls that take 32-bit ids. On 386
// and arm the plain numbers are the old 16-bit calls, which would truncate
// ids such as 65536.
const (
	sysSetgroups = unix.SYS_SETGROUPS32
	sysSetresgid = unix.SYS_SETRESGID32
	sysSetresuid = unix.SYS_SETRESUID32
)

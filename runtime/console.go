package runtime

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupConsole creates the container's terminal inside its own devpts
// instance, so the slave is a /dev/pts entry the container can see, sends
// the master to the parent and makes the slave the init's stdio and
// controlling terminal. The init is a session leader (the parent clones it
// with Setsid), which TIOCSCTTY requires.
func setupConsole(sock *syncSocket, size *specs.Box, uid uint32, isInit bool) error {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer unix.Close(master)

	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("get pty number: %w", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	slave, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %q: %w", name, err)
	}
	defer unix.Close(slave)

	if err := unix.Fchown(slave, int(uid), -1); err != nil {
		return fmt.Errorf("chown %q: %w", name, err)
	}
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(slave, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set size of %q: %w", name, err)
		}
	}

	if isInit {
		if err := mountConsole(name); err != nil {
			return err
		}
	}
	if err := sock.send(message{Type: msgConsole}, master); err != nil {
		return err
	}
	return attachTerminal(slave, name)
}

// mountConsole puts the pty at /dev/console as runc does, for programs
// that write there (init systems, getty). The bind mount exists only in
// the container's mount namespace.
func mountConsole(pts string) error {
	old := unix.Umask(0)
	f, err := os.OpenFile("/dev/console", os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
	unix.Umask(old)
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", err)
	}
	f.Close()
	if err := unix.Mount(pts, "/dev/console", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %q on /dev/console: %w", pts, err)
	}
	return nil
}

// attachTerminal makes fd the stdin, stdout, stderr and controlling
// terminal of this process.
func attachTerminal(fd int, name string) error {
	// TIOCSCTTY needs a session leader. An init is one (cloned with
	// Setsid); a process exec'd into a joined pid namespace is the fork
	// nsenter made, which is not, so it starts its own session here.
	if _, err := unix.Setsid(); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("start a session for %q: %w", name, err)
	}
	for _, target := range []int{0, 1, 2} {
		if err := unix.Dup3(fd, target, 0); err != nil {
			return fmt.Errorf("dup %q to fd %d: %w", name, target, err)
		}
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make %q the controlling terminal: %w", name, os.NewSyscallError("ioctl", err))
	}
	return nil
}

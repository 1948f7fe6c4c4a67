// Package console handles a container's terminal from the caller's side:
// the user's terminal put in raw mode, copying between it and the
// container's pty master, and window size changes.
package console

import (
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Terminal is the caller's side of a container's stdio: with a pty, the
// user's terminal in raw mode wired to the container's pty master.
type Terminal struct {
	tty         bool
	interactive bool
	in, out     *os.File
	saved       *unix.Termios // the user's terminal mode, restored at the end
}

// New returns the terminal for a container process. With tty and
// interactive, and in a terminal, that terminal is put in raw mode until
// Restore, so keys reach the container's pty as typed.
func New(in, out *os.File, tty, interactive bool) (*Terminal, error) {
	t := &Terminal{tty: tty, interactive: interactive, in: in, out: out}
	if !tty || !interactive || !IsTerminal(in) {
		return t, nil
	}

	saved, err := unix.IoctlGetTermios(int(in.Fd()), unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("read terminal mode: %w", err)
	}
	raw := *saved
	makeRaw(&raw)
	if err := unix.IoctlSetTermios(int(in.Fd()), unix.TCSETS, &raw); err != nil {
		return nil, fmt.Errorf("set terminal raw: %w", err)
	}
	t.saved = saved
	return t, nil
}

// makeRaw does what cfmakeraw(3) does.
func makeRaw(t *unix.Termios) {
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR |
		unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Stdin is the container's stdin when it has no pty: the caller's own
// when interactive, else nothing (/dev/null).
func (t *Terminal) Stdin() *os.File {
	if t.interactive && !t.tty {
		return t.in
	}
	return nil
}

// Size is the user's terminal size, for the container's pty.
func (t *Terminal) Size() *specs.Box {
	for _, f := range []*os.File{t.out, t.in} {
		if f == nil {
			continue
		}
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
			return &specs.Box{Height: uint(ws.Row), Width: uint(ws.Col)}
		}
	}
	return nil
}

// Resize copies the user's terminal size to the container's pty.
func (t *Terminal) Resize(console *os.File) {
	b := t.Size()
	if console == nil || b == nil {
		return
	}
	ws := &unix.Winsize{Row: uint16(b.Height), Col: uint16(b.Width)}
	unix.IoctlSetWinsize(int(console.Fd()), unix.TIOCSWINSZ, ws)
}

// Attach copies between the user and the container's pty. The returned
// channel closes once all the container's output has been written, which
// is when the last holder of the pty's slave side has gone.
func (t *Terminal) Attach(console *os.File) <-chan struct{} {
	done := make(chan struct{})
	if console == nil {
		close(done)
		return done
	}
	if t.interactive && t.in != nil {
		go io.Copy(console, t.in)
	}
	go func() {
		defer close(done)
		io.Copy(t.out, console) // ends with EIO once the pty's slave is closed
		console.Close()
	}()
	return done
}

// Restore puts the user's terminal back as it was.
func (t *Terminal) Restore() {
	if t.saved != nil {
		unix.IoctlSetTermios(int(t.in.Fd()), unix.TCSETS, t.saved)
	}
}

package engine

import (
	"errors"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// terminal is husk's side of a container's stdio: with -t, the user's
// terminal in raw mode wired to the container's pty; without, nothing to
// do beyond choosing stdin.
type terminal struct {
	tty         bool
	interactive bool
	in, out     *os.File
	saved       *unix.Termios // the user's terminal mode, restored at the end
}

func newTerminal(o RunOptions) (*terminal, error) {
	t := &terminal{tty: o.TTY, interactive: o.Interactive, in: o.Stdin, out: o.Stdout}
	if !o.TTY || !isTerminal(o.Stdin) || !o.Interactive {
		return t, nil
	}

	saved, err := unix.IoctlGetTermios(int(o.Stdin.Fd()), unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *saved
	makeRaw(&raw)
	if err := unix.IoctlSetTermios(int(o.Stdin.Fd()), unix.TCSETS, &raw); err != nil {
		return nil, err
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

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// stdin is the container's stdin when it has no pty: husk's own with -i,
// else nothing (/dev/null).
func (t *terminal) stdin(o RunOptions) *os.File {
	if o.Interactive && !o.TTY {
		return o.Stdin
	}
	return nil
}

// size is the user's terminal size, for the container's pty.
func (t *terminal) size() *specs.Box {
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

// resize copies the user's terminal size to the container's pty.
func (t *terminal) resize(console *os.File) {
	b := t.size()
	if console == nil || b == nil {
		return
	}
	ws := &unix.Winsize{Row: uint16(b.Height), Col: uint16(b.Width)}
	unix.IoctlSetWinsize(int(console.Fd()), unix.TIOCSWINSZ, ws)
}

// attach copies between the user and the container's pty. The returned
// channel closes once all the container's output has been written, which
// is when the last holder of the pty's slave side has gone.
func (t *terminal) attach(console *os.File) <-chan struct{} {
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
		copyOutput(t.out, console)
		console.Close()
	}()
	return done
}

// copyOutput copies until the pty reports EIO, its end of file.
func copyOutput(dst io.Writer, src io.Reader) {
	_, err := io.Copy(dst, src)
	if err != nil && !errors.Is(err, unix.EIO) {
		return
	}
}

func (t *terminal) restore() {
	if t.saved != nil {
		unix.IoctlSetTermios(int(t.in.Fd()), unix.TCSETS, t.saved)
	}
}

package tests

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPty returns a new pty's master and slave, the slave sized 30x100.
func openPty(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		skipf(t, "no pty: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ws := &unix.Winsize{Row: 30, Col: 100}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// TestTTYInteractive drives `husk run -it` from a terminal, as a user at
// a shell would: the container gets a pty of the terminal's size, what is
// typed reaches it and its output comes back.
func TestTTYInteractive(t *testing.T) {
	need(t)
	master, slave := openPty(t)
	defer master.Close()

	cmd := exec.Command(huskBin, "--root", sharedRoot, "run", "--rm", "-it", "busybox:musl", "sh")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()

	out := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once husk has exited
		out <- string(b)
	}()
	time.Sleep(300 * time.Millisecond)
	master.WriteString("tty; stty size; echo marker-$((6*7))\r")
	time.Sleep(300 * time.Millisecond)
	master.WriteString("exit 5\r")

	if got := exitOf(t, cmd); got != 5 {
		t.Errorf("exit %d, want 5", got)
	}
	text := <-out
	for _, want := range []string{"/dev/pts/0", "30 100", "marker-42"} {
		if !strings.Contains(text, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, text)
		}
	}
}

// TestTTYWithoutTerminal gives the container a pty even when husk's own
// stdio is not a terminal.
func TestTTYWithoutTerminal(t *testing.T) {
	need(t)
	out := mustRun(t, "-t", "busybox:musl", "sh", "-c", "tty; [ -t 1 ] && echo is-a-tty")
	if !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "is-a-tty") {
		t.Fatalf("output %q, want the container's own pty", out)
	}
	// As with runc, /dev/console is the container's pty.
	out = mustRun(t, "-t", "busybox:musl", "sh", "-c", "echo via-console > /dev/console; grep -c ' /dev/console ' /proc/self/mountinfo")
	if !strings.Contains(out, "via-console") || !strings.Contains(out, "1") {
		t.Fatalf("output %q, want /dev/console bound to the pty", out)
	}
}

package capabilities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// childEnv names the scenario a re-executed test binary runs instead of the
// tests. Credentials change only in that child, never in the test process.
const childEnv = "HUSK_CAPABILITIES_TEST_CHILD"

const busybox = "/bin/busybox"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(runChild(name))
	}
	os.Exit(m.Run())
}

// scenario sets up the child's locked thread. With exec set the child then
// execve(2)s busybox to print its status lines; otherwise it prints
// Current() as JSON. A setup error is printed on stderr with exit code 3.
type scenario struct {
	setup func() error
	exec  bool
}

// all returns c with each of the five sets holding list.
func all(list []string) *specs.LinuxCapabilities {
	return &specs.LinuxCapabilities{
		Bounding: list, Effective: list, Permitted: list, Inheritable: list, Ambient: list,
	}
}

var scenarios = map[string]scenario{
	"root-default": {exec: true, setup: func() error {
		if err := DropBounding(Default); err != nil {
			return err
		}
		c := all(Default)
		c.Ambient = nil
		return Apply(c)
	}},
	"nobody-ambient": {exec: true, setup: func() error {
		if err := DropBounding(Default); err != nil {
			return err
		}
		return SetUser(65534, 65534, []uint32{1000, 2000}, all(Default))
	}},
	"nobody-no-caps": {exec: true, setup: func() error {
		if err := DropBounding(Default); err != nil {
			return err
		}
		return SetUser(65534, 65534, nil, &specs.LinuxCapabilities{Bounding: Default})
	}},
	"nobody-nil-caps": {exec: true, setup: func() error {
		return SetUser(65534, 65534, nil, nil)
	}},
	"thread-mixed": {setup: func() error {
		if err := DropBounding(Default); err != nil {
			return err
		}
		return SetUser(1000, 1000, nil, &specs.LinuxCapabilities{
			Effective:   []string{"chown", "CAP_KILL"},
			Permitted:   Default,
			Inheritable: []string{"kill", "Net_Raw"},
			Ambient:     []string{"cap_kill"},
		})
	}},
	"redrop-without-setpcap": {setup: func() error {
		if err := DropBounding([]string{"CAP_CHOWN"}); err != nil {
			return err
		}
		only := []string{"CAP_CHOWN"}
		if err := Apply(&specs.LinuxCapabilities{Effective: only, Permitted: only}); err != nil {
			return err
		}
		// CAP_SETPCAP is gone from every set: a second drop must not try
		// to drop again what is already absent.
		return DropBounding([]string{"chown"})
	}},
	"raise-not-permitted": {setup: func() error {
		if err := DropBounding(Default); err != nil {
			return err
		}
		if err := Apply(&specs.LinuxCapabilities{Effective: Default, Permitted: Default}); err != nil {
			return err
		}
		return Apply(&specs.LinuxCapabilities{
			Effective: []string{"CAP_CHOWN", "CAP_SYS_ADMIN"},
			Permitted: []string{"CAP_CHOWN", "CAP_SYS_ADMIN"},
		})
	}},
	"per-thread": {setup: func() error {
		if err := SetUser(1000, 1000, nil, nil); err != nil {
			return err
		}
		// Another goroutine locked to its own thread must still be root:
		// SetUser must not use the all-threads syscall wrappers.
		other := make(chan int)
		go func() {
			runtime.LockOSThread()
			other <- unix.Getuid()
		}()
		if self, o := unix.Getuid(), <-other; self != 1000 || o != 0 {
			return fmt.Errorf("uid is %d on the locked thread, %d on another; want 1000, 0", self, o)
		}
		return nil
	}},
	"ambient-not-inheritable": {setup: func() error {
		kill := []string{"CAP_KILL"}
		return Apply(&specs.LinuxCapabilities{Effective: kill, Permitted: kill, Ambient: kill})
	}},
}

func runChild(name string) int {
	runtime.LockOSThread()
	s, ok := scenarios[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "no scenario %q\n", name)
		return 2
	}
	if err := s.setup(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if s.exec {
		argv := []string{"busybox", "grep", "-E", "^(Cap|Uid|Gid|Groups)", "/proc/self/status"}
		err := unix.Exec(busybox, argv, nil)
		fmt.Fprintf(os.Stderr, "exec %s: %v\n", busybox, err)
		return 2
	}
	caps, err := Current()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := json.NewEncoder(os.Stdout).Encode(caps); err != nil {
		return 2
	}
	return 0
}

// requirePrivileged skips unless the test runs as root with the
// capabilities the scenarios need; HUSK_TEST_ROOT=1 turns the skip into a
// failure.
func requirePrivileged(t *testing.T) {
	t.Helper()
	reason := ""
	if os.Getuid() != 0 {
		reason = fmt.Sprintf("needs root, running as uid %d", os.Getuid())
	} else if caps, err := Current(); err != nil {
		reason = fmt.Sprintf("cannot read own capabilities: %v", err)
	} else {
		for _, need := range []string{"CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID"} {
			if !slices.Contains(caps.Effective, need) {
				reason += " needs " + need
			}
		}
	}
	if reason == "" {
		return
	}
	if os.Getenv("HUSK_TEST_ROOT") == "1" {
		t.Fatalf("HUSK_TEST_ROOT=1 but %s", reason)
	}
	t.Skip(reason)
}

// child runs a scenario in a re-executed test binary and returns its
// stdout, or its stderr as an error if setup failed.
func child(t *testing.T, name string) (string, error) {
	t.Helper()
	requirePrivileged(t)
	if scenarios[name].exec {
		if _, err := os.Stat(busybox); err != nil {
			t.Skipf("needs a static %s to exec: %v", busybox, err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 3 {
		return "", fmt.Errorf("%s", strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("scenario %s: %v\n%s", name, err, stderr.String())
	}
	return stdout.String(), nil
}

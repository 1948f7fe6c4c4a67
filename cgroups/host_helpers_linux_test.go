package cgroups

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tests on the real host create cgroups named husk-test-<token>-<n>
// under the test process's own cgroup (a relative cgroupsPath), never
// change an existing cgroup, and remove what they made; TestMain then
// checks that nothing named husk-test-<token> is left anywhere.

const (
	childEnv = "HUSK_CGROUPS_TEST_CHILD" // set in a re-executed test binary: the child's mode
	rootEnv  = "HUSK_TEST_ROOT"          // "1": a missing root fails instead of skipping
)

var (
	testToken = func() string {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}()
	testSeq atomic.Int32
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	code := m.Run()
	if os.Geteuid() == 0 {
		if left := leftovers("/sys/fs/cgroup", "husk-test-"+testToken); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: test cgroups left behind: %v\n", left)
			code = 1
		}
	}
	os.Exit(code)
}

// leftovers lists the directories under root whose name starts with
// prefix.
func leftovers(root, prefix string) []string {
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), prefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// runChild is the re-executed test binary. It waits for one byte on
// stdin, so the parent can put it into a cgroup first, then does mode's
// work and reports on stdout.
func runChild(mode string) int {
	if _, err := os.Stdin.Read(make([]byte, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "child: read go signal:", err)
		return 2
	}
	switch {
	case strings.HasPrefix(mode, "alloc:"), strings.HasPrefix(mode, "hold:"):
		// Allocate and touch MiB after MiB, so the pages are really
		// charged; a memory limit below the total ends it with SIGKILL.
		// "hold" then keeps the memory until stdin closes.
		kind, n, _ := strings.Cut(mode, ":")
		mib, _ := strconv.Atoi(n)
		var keep [][]byte
		for range mib {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("survived", len(keep))
		if kind == "hold" {
			_, _ = io.Copy(io.Discard, os.Stdin)
		}
	case mode == "open":
		// Report how opening device nodes goes: "ok" or the errno name.
		var res []string
		for _, o := range []struct {
			path string
			flag int
		}{{"/dev/null", os.O_WRONLY}, {"/dev/null", os.O_RDONLY}, {"/dev/zero", os.O_RDONLY}} {
			r := "ok"
			f, err := os.OpenFile(o.path, o.flag, 0)
			if err != nil {
				var errno unix.Errno
				if errors.As(err, &errno) {
					r = unix.ErrnoName(errno)
				} else {
					r = err.Error()
				}
			} else {
				f.Close()
			}
			res = append(res, r)
		}
		fmt.Println(strings.Join(res, " "))
	default:
		fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
		return 2
	}
	return 0
}

// requireRoot skips t unless it runs as root; with HUSK_TEST_ROOT=1 a
// missing root fails it, so CI cannot skip these silently.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv(rootEnv) == "1" {
		t.Fatalf("%s=1 but running as uid %d, not root", rootEnv, os.Geteuid())
	}
	t.Skipf("needs root to create cgroups (running as uid %d)", os.Geteuid())
}

// requireV1Host skips t unless the host mounts v1 controllers.
func requireV1Host(t *testing.T) {
	t.Helper()
	requireRoot(t)
	l, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	if l == Unified {
		t.Skip("needs v1 controllers (a hybrid or legacy host); this host is cgroup v2 only")
	}
}

// testName returns a fresh husk-test-* name.
func testName() string {
	return fmt.Sprintf("husk-test-%s-%d", testToken, testSeq.Add(1))
}

// hostCgroup creates a husk-test-* cgroup under the test's own cgroup and
// removes it (killing what is left) when the test ends, checking that
// every directory is gone.
func hostCgroup(t *testing.T, name string, opts ...Option) Manager {
	t.Helper()
	m, err := New(name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { destroyChecked(t, m) })
	return m
}

func destroyChecked(t *testing.T, m Manager) {
	t.Helper()
	if err := m.Kill(unix.SIGKILL); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cleanup: %v", err)
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("Destroy: %v", err)
	}
	var dirs []string
	switch m := m.(type) {
	case *v1Manager:
		dirs = m.allDirs()
	case *v2Manager:
		dirs = []string{m.dir}
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Destroy %q is still there (%v)", d, err)
		}
	}
}

// syncBuffer is a bytes.Buffer that the exec copier can fill while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a started child process that waits for go() before working.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout syncBuffer
	stderr syncBuffer
	waited chan error
}

// start starts argv (a "@mode" first element re-executes the test binary
// in that child mode) and, unless m is nil, adds it to m. The process is
// killed and reaped when the test ends.
func start(t *testing.T, m Manager, argv ...string) *proc {
	t.Helper()
	return startCmd(t, m, nil, argv...)
}

func startCmd(t *testing.T, m Manager, attr *syscall.SysProcAttr, argv ...string) *proc {
	t.Helper()
	p := &proc{waited: make(chan error, 1)}
	if mode, ok := strings.CutPrefix(argv[0], "@"); ok {
		p.cmd = exec.Command(os.Args[0])
		p.cmd.Env = append(os.Environ(), childEnv+"="+mode)
	} else {
		p.cmd = exec.Command(argv[0], argv[1:]...)
	}
	p.cmd.SysProcAttr = attr
	// Grandchildren may hold the output pipes open after the child exits.
	p.cmd.WaitDelay = time.Second
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		p.wait(t)
	})
	if m != nil {
		if err := m.Add(p.cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// release lets the child start its work.
func (p *proc) release(t *testing.T) {
	t.Helper()
	if _, err := p.stdin.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
}

// wait returns the child's exit (once; later calls return nil) or fails
// after 30 s.
func (p *proc) wait(t *testing.T) error {
	t.Helper()
	select {
	case err, ok := <-p.waited:
		if ok {
			close(p.waited)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("pid %d did not exit", p.pid())
		return nil
	}
}

// line waits for the child's first line on stdout.
func (p *proc) line(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s, _, ok := strings.Cut(p.stdout.String(), "\n"); ok {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("pid %d wrote no line; stderr: %s", p.pid(), p.stderr.String())
	return ""
}

// output waits for the child and returns its first stdout line.
func (p *proc) output(t *testing.T) string {
	t.Helper()
	if err := p.wait(t); err != nil {
		t.Fatalf("child: %v; stderr: %s", err, p.stderr.String())
	}
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	return line
}

// cpuUsage returns the cgroup's CPU time.
func cpuUsage(t *testing.T, m Manager) time.Duration {
	t.Helper()
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(st.CPU.UsageNS)
}

// spin starts a busy shell loop in m.
func spin(t *testing.T, m Manager) *proc {
	t.Helper()
	p := start(t, m, "/bin/sh", "-c", "read x; while :; do :; done")
	p.release(t)
	return p
}

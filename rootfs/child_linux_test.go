package rootfs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The privileged tests run Setup in a child: the test binary re-executed
// in new namespaces, switched into child mode by childEnv, which names a
// JSON childRequest. The child runs Setup, then the probes, and prints a
// childReport on stdout. Its mount namespace dies with it, so nothing it
// mounts can outlive it; each test also checks the host's mountinfo.

// childEnv names the request file of a child run.
const childEnv = "HUSK_ROOTFS_TEST_CHILD"

// rootEnv, set to 1, makes missing root a failure instead of a skip.
const rootEnv = "HUSK_TEST_ROOT"

func TestMain(m *testing.M) {
	if req := os.Getenv(childEnv); req != "" {
		os.Exit(childMain(req))
	}
	os.Exit(m.Run())
}

// childRequest is what the parent asks the child to do.
type childRequest struct {
	Config Config
	Probes []probe
}

// probe is one observation made after Setup, inside the new root.
type probe struct {
	Op   string // stat, lstat, read, readdir, write, statfs, exec
	Path string
	Data string // write: content; exec: space-separated arguments
}

// probeResult is what one probe saw. Errno is 0 on success.
type probeResult struct {
	Errno        int
	Err          string
	Mode         uint32 // stat: st_mode
	Major, Minor uint32
	UID, GID     uint32
	Link         string   // lstat of a symlink
	Data         string   // read, exec output
	Names        []string // readdir
	FSType       int64    // statfs f_type
	Bytes        uint64   // statfs: blocks * block size
}

// childReport is the child's answer.
type childReport struct {
	SetupError string
	Cwd        string
	Mounts     []mountInfo
	Results    []probeResult
}

// childMain is the child's whole life; its exit code is non-zero only
// when it could not even report.
func childMain(reqPath string) int {
	var req childRequest
	b, err := os.ReadFile(reqPath)
	if err == nil {
		err = json.Unmarshal(b, &req)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "read request:", err)
		return 2
	}
	var rep childReport
	if err := Setup(req.Config); err != nil {
		rep.SetupError = err.Error()
	} else {
		rep.Cwd, _ = os.Getwd()
		rep.Mounts, _ = readMountinfo()
		for _, p := range req.Probes {
			rep.Results = append(rep.Results, runProbe(p))
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, "write report:", err)
		return 2
	}
	return 0
}

// runProbe makes one observation.
func runProbe(p probe) probeResult {
	var r probeResult
	var err error
	switch p.Op {
	case "stat", "lstat":
		var st unix.Stat_t
		if p.Op == "stat" {
			err = unix.Stat(p.Path, &st)
		} else {
			err = unix.Lstat(p.Path, &st)
		}
		if err == nil {
			r.Mode, r.UID, r.GID = st.Mode, st.Uid, st.Gid
			r.Major, r.Minor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				r.Link, err = os.Readlink(p.Path)
			}
		}
	case "read":
		// At most 1 MiB, so a device such as /dev/zero cannot eat memory.
		var f *os.File
		if f, err = os.Open(p.Path); err == nil {
			var b []byte
			b, err = io.ReadAll(io.LimitReader(f, 1<<20))
			f.Close()
			r.Data = string(b)
		}
	case "readdir":
		var ents []os.DirEntry
		ents, err = os.ReadDir(p.Path)
		for _, e := range ents {
			r.Names = append(r.Names, e.Name())
		}
	case "write":
		var f *os.File
		f, err = os.OpenFile(p.Path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err == nil {
			_, err = f.WriteString(p.Data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	case "statfs":
		var st unix.Statfs_t
		err = unix.Statfs(p.Path, &st)
		r.FSType, r.Bytes = st.Type, st.Blocks*uint64(st.Bsize)
	case "exec":
		var out []byte
		out, err = exec.Command(p.Path, strings.Fields(p.Data)...).CombinedOutput()
		r.Data = string(out)
	default:
		err = fmt.Errorf("unknown probe %q", p.Op)
	}
	if err != nil {
		r.Err = err.Error()
		var errno unix.Errno
		if errors.As(err, &errno) {
			r.Errno = int(errno)
		} else {
			r.Errno = -1
		}
	}
	return r
}

// childOptions changes how the child is started.
type childOptions struct {
	cloneflags uintptr
	// userns adds a user namespace with ids 0-65535 mapped to themselves:
	// the image's files keep their owners and devpts's gid=5 is valid.
	userns bool
}

// allNamespaces are the namespaces a container's init normally has,
// except the user namespace.
const allNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUTS | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// runChild runs Setup with cfg in a child in new namespaces, then probes,
// and returns the report. It fails the test if the host's mount table
// changed meanwhile.
func runChild(t *testing.T, cfg Config, probes []probe, opts childOptions) childReport {
	t.Helper()
	if opts.cloneflags == 0 {
		opts.cloneflags = allNamespaces
	}
	req, err := json.Marshal(childRequest{Config: cfg, Probes: probes})
	if err != nil {
		t.Fatal(err)
	}
	reqPath := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(reqPath, req, 0o600); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	before := hostMounts(t)

	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+reqPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: opts.cloneflags, Pdeathsig: syscall.SIGKILL}
	if opts.userns {
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstderr: %s", err, stderr.String())
	}
	var rep childReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("child report %q: %v\nstderr: %s", stdout.String(), err, stderr.String())
	}

	after := hostMounts(t)
	for line := range after {
		if !before[line] {
			t.Errorf("host mount table gained %q", line)
		}
	}
	return rep
}

// hostMounts returns the lines of this process's mountinfo as a set.
func hostMounts(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		set[l] = true
	}
	return set
}

// requireRoot skips t unless it runs as root; with HUSK_TEST_ROOT=1 a
// missing root is a failure, so a CI job that means to run these cannot
// skip them silently.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv(rootEnv) == "1" {
		t.Fatalf("%s=1 but running as uid %d, not root", rootEnv, os.Geteuid())
	}
	t.Skipf("needs root to create mount namespaces and mount (running as uid %d)", os.Geteuid())
}

// busyboxRootfs makes a small rootfs in a new temp dir: /bin/busybox and
// /bin/sh, plus the given extra directories. Directories Setup must
// create (proc, dev, sys, tmp) are left out on purpose.
func busyboxRootfs(t *testing.T, dirs ...string) string {
	t.Helper()
	src, err := os.Open("/bin/busybox")
	if err != nil {
		t.Skipf("needs a static /bin/busybox for the test rootfs: %v", err)
	}
	defer src.Close()
	root := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range append([]string{"bin"}, dirs...) {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dst, err := os.OpenFile(filepath.Join(root, "bin/busybox"),
		os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("busybox", filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	return root
}

// writeFile writes content to path, making its directory.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

package tests

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// probe prints what a container sees of its own set-up: identity,
// capabilities, seccomp, mounts, /dev (modes, sizes or device numbers and
// names; not times, which differ when the two runs straddle a minute),
// limits, cgroups and environment.
const probe = `id; hostname | wc -c
grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status
cut -d" " -f4- /proc/self/mountinfo
stat -c '%A %s %t:%T %N' /dev /dev/*
echo HOME=$HOME; pwd; ulimit -a; umask; cat /proc/self/oom_score_adj
cat /proc/self/cgroup; env | sort`

// hexID matches container ids and short ids (HOSTNAME), which differ.
var hexID = regexp.MustCompile(`[0-9a-f]{64}|\b[0-9a-f]{12}\b`)

// TestCInitMatchesGoInit runs the same containers through the C init
// (the default where it can express the set-up) and the Go init
// (HUSK_INIT=go) and compares what they see inside.
func TestCInitMatchesGoInit(t *testing.T) {
	need(t)
	for _, opts := range [][]string{
		nil,
		{"-u", "nobody"},
		{"-u", "1234:5678"},
		{"-w", "/made/for/it"},
		{"-e", "HOME=/x", "-e", "PATH=/bin"},
		{"--pids-limit", "50", "--memory", "64m"},
	} {
		args := append(append([]string{"run", "--rm", "--network", "none"}, opts...),
			"busybox:musl", "sh", "-c", probe)
		t.Setenv("HUSK_INIT", "")
		c := husk(t, append([]string{"--debug"}, args...)...)
		t.Setenv("HUSK_INIT", "go")
		g := husk(t, args...)
		if c.code != 0 || g.code != 0 {
			t.Fatalf("%v: exit %d (C init) and %d (Go init)\n%s\n%s", opts, c.code, g.code, c.stderr, g.stderr)
		}
		if strings.Contains(c.stderr, "go init") {
			t.Errorf("%v: the Go init ran where the C init should:\n%s", opts, grepLines(c.stderr, "go init"))
		}
		if cs, gs := hexID.ReplaceAllString(c.stdout, "ID"), hexID.ReplaceAllString(g.stdout, "ID"); cs != gs {
			t.Errorf("%v: the C init's container differs from the Go init's\nC:\n%s\nGo:\n%s", opts, cs, gs)
		}
	}
}

// TestCInitErrors checks that the C init fails as the Go init does: same
// message, same exit status.
func TestCInitErrors(t *testing.T) {
	need(t)
	for _, args := range [][]string{
		{"busybox:musl", "no-such-command"},
		{"busybox:musl", "/etc/passwd"},
		{"busybox:musl", "/etc"},
		{"-u", "no-such-user", "busybox:musl", "true"},
		{"busybox:musl", "./relative"},
		{"-w", "/etc/passwd", "busybox:musl", "true"},
	} {
		full := append([]string{"run", "--rm", "--network", "none"}, args...)
		t.Setenv("HUSK_INIT", "")
		c := husk(t, full...)
		t.Setenv("HUSK_INIT", "go")
		g := husk(t, full...)
		if c.code != g.code || c.stderr != g.stderr || c.code == 0 {
			t.Errorf("%v: C init exit %d %q, Go init exit %d %q", args, c.code, c.stderr, g.code, g.stderr)
		}
	}
}

// TestWithoutHuskInit runs binaries copied without husk-init beside them:
// a run falls back to the Go init and works, while an exec, which must
// join namespaces before any Go runtime starts, fails with one line that
// names husk-init.
func TestWithoutHuskInit(t *testing.T) {
	need(t)
	root := newRoot(t)
	alone := t.TempDir()
	copyFile(t, huskBin, filepath.Join(alone, "husk"))
	copyFile(t, huskrtBin, filepath.Join(alone, "huskrt"))

	cmd := exec.Command(filepath.Join(alone, "husk"), "--root", root, "--debug",
		"run", "--rm", "--network", "none", "busybox:musl", "echo", "hi")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\nhi\n") || !strings.Contains(string(out), "husk-init is not beside") {
		t.Fatalf("husk run without husk-init: %v\n%s", err, out)
	}

	b := newBundle(t, "sleep", "100")
	b.write()
	b.must("run", "-d", "lone")
	lone := exec.Command(filepath.Join(alone, "huskrt"), "--root", b.root, "exec", "lone", "true")
	out, err = lone.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "husk-init") || strings.Count(string(out), "\n") != 1 {
		t.Fatalf("huskrt exec without husk-init: %v, %q; want one line naming husk-init", err, out)
	}
}

package tests

import (
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

package tests

import (
	"strings"
	"testing"
	"time"
)

// TestMemoryLimitOOM allocates past --memory: the kernel kills the
// process, husk exits 137 and says it ran out of memory.
func TestMemoryLimitOOM(t *testing.T) {
	need(t)
	// Reading /dev/zero into a shell variable grows the shell past 16 MiB.
	r := husk(t, "run", "--rm", "--memory", "16m", "--memory-swap", "16m", "busybox:musl",
		"sh", "-c", `x=$(head -c 64m /dev/zero | tr '\0' x); echo survived ${#x}`)
	if r.code != 137 || !strings.Contains(r.stderr, "out of memory") {
		t.Fatalf("exit %d, stderr %q; want 137 and an out-of-memory message", r.code, r.stderr)
	}
}

// TestPidsLimitContainsForkBomb starts far more processes than
// --pids-limit allows: the surplus fails and the container goes on.
func TestPidsLimitContainsForkBomb(t *testing.T) {
	need(t)
	// The bomb runs in a child shell, which dies when fork fails; the
	// container's first shell survives and counts with builtins only.
	out := mustRun(t, "--pids-limit", "10", "busybox:musl", "sh", "-c",
		`sh -c 'while :; do sleep 5 & done' 2>/dev/null; echo alive; set -- /proc/[0-9]*; echo $#`)
	lines := strings.Fields(out)
	if len(lines) != 2 || lines[0] != "alive" {
		t.Fatalf("output %q: the container did not survive", out)
	}
	if n := atoi(t, lines[1]); n < 5 || n > 10 {
		t.Fatalf("%d processes under --pids-limit 10, want the limit reached but not passed", n)
	}
}

// TestTightPidsLimit runs one process under a limit of one and two pids,
// through both inits: the limit must count the container's processes,
// not the cloning thread or the Go init's runtime threads.
func TestTightPidsLimit(t *testing.T) {
	need(t)
	for _, init := range []string{"", "go"} {
		t.Setenv("HUSK_INIT", init)
		for _, n := range []string{"1", "2"} {
			r := husk(t, "run", "--rm", "--network", "none", "--pids-limit", n, "busybox:musl", "echo", "ok")
			if r.code != 0 || r.stdout != "ok\n" {
				t.Errorf("HUSK_INIT=%q --pids-limit %s: exit %d, stdout %q, stderr %s", init, n, r.code, r.stdout, r.stderr)
			}
		}
	}
	// The limit still holds once the process runs.
	r := husk(t, "run", "--rm", "--network", "none", "--pids-limit", "2", "busybox:musl", "sh", "-c",
		"sleep 1 & sleep 1 & wait")
	if !strings.Contains(r.stderr, "can't fork") {
		t.Errorf("a third process under --pids-limit 2 was not refused: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestCPUQuota runs a busy loop under --cpus 0.5 for a second and reads
// the CPU time it got from /proc: about half a second.
func TestCPUQuota(t *testing.T) {
	need(t)
	out := mustRun(t, "--cpus", "0.5", "busybox:musl", "sh", "-c",
		`(while :; do :; done) & p=$!; sleep 1.5; read -r s < /proc/$p/stat; kill $p; set -- ${s#*) }; echo $(( ${12} + ${13} ))`)
	ticks := atoi(t, strings.TrimSpace(out)) // clock ticks of 10ms over 1.5s
	if ticks < 45 || ticks > 105 {
		t.Fatalf("busy loop got %d ticks in 1.5s under --cpus 0.5, want about 75", ticks)
	}
}

// TestUpdateStatsInfo changes a running container's memory limit and
// reads it back through stats, and checks husk info names the layout.
func TestUpdateStatsInfo(t *testing.T) {
	need(t)
	root := newRoot(t)
	cmd, _ := startHusk(t, root, "--name", "lim", "--memory", "64m", "busybox:musl", "sh", "-c", "echo ready; exec sleep 100")
	defer func() { runHusk(root, nil, "rm", "-f", "lim"); exitOf(t, cmd) }()

	if r := runHusk(root, nil, "update", "--memory", "96m", "--pids-limit", "50", "lim"); r.code != 0 {
		t.Fatalf("update: %+v", r)
	}
	st := runHusk(root, nil, "stats", "--no-stream", "--interval", "200ms", "lim")
	if st.code != 0 || !strings.Contains(st.stdout, "lim") || !strings.Contains(st.stdout, "/ 96MiB") {
		t.Fatalf("stats after update: %+v", st)
	}
	// A container asked for by name that stops during the sample is an
	// error, not an empty table.
	short, _ := startHusk(t, root, "--rm", "--name", "brief", "busybox:musl", "sh", "-c", "echo ready; exec sleep 0.3")
	st = runHusk(root, nil, "stats", "--no-stream", "--interval", "1s", "brief")
	exitOf(t, short)
	if st.code != 125 || !strings.Contains(st.stderr, `"brief"`) {
		t.Fatalf("stats of a container that stopped meanwhile: %+v, want exit 125 naming it", st)
	}
	info := runHusk(root, nil, "info")
	if !strings.Contains(info.stdout, "Cgroup layout: ") || !strings.Contains(info.stdout, "running: 1") {
		t.Fatalf("info: %+v", info)
	}
	_ = time.Second
}

// TestDeviceFlag passes a host device in with --device; without it the
// same device cannot be created and opened inside.
func TestDeviceFlag(t *testing.T) {
	need(t)
	if out := mustRun(t, "--device", "/dev/full:/dev/myfull", "busybox:musl", "sh", "-c",
		"echo x > /dev/myfull 2>&1; echo rc=$?"); !strings.Contains(out, "rc=1") {
		t.Fatalf("write to the passed /dev/full: %q, want ENOSPC (rc=1)", out)
	}
	out := mustRun(t, "busybox:musl", "sh", "-c", "mknod /tmp/hw c 10 183 && head -c 1 /tmp/hw >/dev/null 2>&1 && echo opened || echo denied")
	if strings.TrimSpace(out) != "denied" {
		t.Fatalf("a host device node made inside opened: %q", out)
	}
}

// TestDeviceReadOnly passes a device read-only: writing to it must fail.
func TestDeviceReadOnly(t *testing.T) {
	need(t)
	out := mustRun(t, "--device", "/dev/full:/dev/rofull:r", "busybox:musl", "sh", "-c",
		"head -c 1 /dev/rofull | wc -c; echo x > /dev/rofull 2>/dev/null && echo writable || echo denied")
	if out != "1\ndenied\n" {
		t.Fatalf("got %q, want a readable, unwritable device", out)
	}
}

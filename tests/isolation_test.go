package tests

import (
	"strings"
	"testing"
)

// dockerDefaultCaps is the capability mask of Docker's 14 default
// capabilities, as /proc/PID/status prints it.
const dockerDefaultCaps = "00000000a80425fb"

func TestCapabilitiesAndNoNewPrivs(t *testing.T) {
	need(t)
	out := mustRun(t, "busybox:musl", "grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status")
	for _, want := range []string{
		"CapEff:\t" + dockerDefaultCaps, "CapPrm:\t" + dockerDefaultCaps,
		"CapBnd:\t" + dockerDefaultCaps, "CapInh:\t0000000000000000",
		"CapAmb:\t0000000000000000", "NoNewPrivs:\t1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/proc/self/status lacks %q:\n%s", want, out)
		}
	}

	out = mustRun(t, "-u", "nobody", "busybox:musl", "grep", "^CapEff", "/proc/self/status")
	if !strings.Contains(out, "0000000000000000") {
		t.Errorf("nobody has effective capabilities: %s", out)
	}
}

func TestMaskedAndReadonlyPaths(t *testing.T) {
	need(t)
	out := mustRun(t, "busybox:musl", "sh", "-c", `
		wc -c < /proc/keys
		wc -c < /proc/timer_list
		ls /sys/firmware | wc -l
		echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo writable || echo readonly
		touch /sys/x 2>/dev/null && echo sys-writable || echo sys-readonly`)
	want := "0\n0\n0\nreadonly\nsys-readonly\n"
	if out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

func TestDevAndMounts(t *testing.T) {
	need(t)
	out := mustRun(t, "busybox:musl", "sh", "-c", `
		for d in null zero full random urandom tty ptmx pts shm mqueue fd stdin stdout stderr; do
			[ -e /dev/$d ] || echo missing $d
		done
		echo x > /dev/null && head -c 4 /dev/zero | wc -c
		grep -c ' / ' /proc/self/mounts | grep -qv 0 && echo root-mounted
		ls /proc/1/exe >/dev/null && echo proc
		ls -A /mnt | wc -l`)
	want := "4\nroot-mounted\nproc\n0\n"
	if out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

func TestNamespacesAreNew(t *testing.T) {
	need(t)
	out := mustRun(t, "busybox:musl", "sh", "-c", `
		ps -o pid > /tmp/ps; wc -l < /tmp/ps
		ip -o link 2>/dev/null | grep -c ': lo:' || cat /sys/class/net/lo/operstate
		cat /sys/class/net/lo/flags`)
	lines := strings.Fields(out)
	if len(lines) < 3 || lines[0] != "3" {
		t.Fatalf("the container sees other processes or lacks lo: %q", out)
	}
	// IFF_UP is bit 0 of the flags: lo is up.
	if !strings.HasSuffix(lines[2], "9") {
		t.Errorf("lo is not up: flags %s", lines[2])
	}
}

func TestNoHostFDs(t *testing.T) {
	need(t)
	out := mustRun(t, "busybox:musl", "ls", "/proc/self/fd")
	if got := strings.Fields(out); strings.Join(got, " ") != "0 1 2 3" {
		t.Fatalf("fds in the container: %v, want 0 1 2 and ls's own 3", got)
	}
}

func TestRootfsWritesStayInContainer(t *testing.T) {
	need(t)
	mustRun(t, "busybox:musl", "sh", "-c", "echo changed > /bin/busybox-note; rm /bin/ls")
	out := mustRun(t, "busybox:musl", "sh", "-c", "ls /bin/busybox-note 2>&1; ls /bin/ls")
	if !strings.Contains(out, "No such file") || !strings.Contains(out, "/bin/ls") {
		t.Fatalf("a container's writes reached the image: %q", out)
	}
}

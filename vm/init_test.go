package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitScript(t *testing.T) {
	in := Init{
		Modules: []string{"/lib/modules/6.1/kernel/net/llc/llc.ko"},
		Cgroup2: true,
		Tmpfs:   []string{"/var/lib/husk"},
		Sysctls: map[string]string{"kernel.printk": "5"},
		Env:     []string{"B=2", "A=it's"},
		Dir:     "/tests",
		Args:    []string{"/tests/t.test", "-test.run=X|Y"},
	}
	script := string(in.Script())
	for _, want := range []string{
		"#!/bin/busybox sh\n",
		"exec switch_root /newroot /init stage2",
		"insmod '/lib/modules/6.1/kernel/net/llc/llc.ko' ||",
		"mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup",
		`/sys/fs/cgroup/cgroup.subtree_control`,
		"mount -t tmpfs tmpfs '/var/lib/husk'",
		"echo '5' >'/proc/sys/kernel/printk' || fail sysctl 'kernel.printk'",
		"cd '/tests'",
		// Sorted, quoted, and the pattern's | stays a character.
		`env 'A=it'\''s' 'B=2' '/tests/t.test' '-test.run=X|Y'`,
		"result $rc\npoweroff -f",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(string(Init{Args: []string{"true"}}.Script()), "cgroup2") {
		t.Error("cgroup2 mounted without Cgroup2")
	}

	// busybox sh -n parses it without running it.
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed")
	}
	path := filepath.Join(t.TempDir(), "init")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(busybox, "sh", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("busybox sh -n: %v\n%s", err, out)
	}
}

package tests

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchPlugin runs `husk bench` through husk-bench beside husk, and
// without it gets one line that names it.
func TestBenchPlugin(t *testing.T) {
	need(t)
	out, err := exec.Command(huskBin, "bench", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--runs") {
		t.Fatalf("husk bench --help: %v\n%s", err, out)
	}

	alone := t.TempDir()
	copyFile(t, huskBin, filepath.Join(alone, "husk"))
	out, err = exec.Command(filepath.Join(alone, "husk"), "bench", "--runs", "1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "husk-bench is not beside") || strings.Count(string(out), "\n") != 1 {
		t.Fatalf("husk bench without husk-bench: %v, %q; want one line naming it", err, out)
	}
}

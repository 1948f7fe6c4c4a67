package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	plain := filepath.Join(dir, "plain")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(plain, []byte("data"), 0o644)
	env := []string{"PATH=/nonexistent:" + dir}

	if got, err := lookPath("tool", env); err != nil || got != exe {
		t.Errorf("lookPath(tool) = %q, %v; want %q", got, err, exe)
	}
	if _, err := lookPath("missing", env); err == nil || execExit(err) != 127 ||
		!strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("missing command: %v (exit %d), want 127 naming it", err, execExit(err))
	}
	if _, err := lookPath(plain, env); err == nil || execExit(err) != 126 {
		t.Errorf("non-executable file: %v, want exit 126", err)
	}
	if _, err := lookPath(dir+"/nope", env); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent absolute path: %v, want ErrNotExist", err)
	}
}

func TestWithHome(t *testing.T) {
	if got := withHome([]string{"A=1"}, "/root"); strings.Join(got, ",") != "A=1,HOME=/root" {
		t.Errorf("withHome added %v", got)
	}
	if got := withHome([]string{"HOME=/x"}, "/root"); strings.Join(got, ",") != "HOME=/x" {
		t.Errorf("withHome replaced an explicit HOME: %v", got)
	}
}

func TestWaitStatus(t *testing.T) {
	// Encoded as wait(2) does: exit code in bits 8-15, signal in 0-6.
	if got := waitStatus(42 << 8); got != 42 {
		t.Errorf("exit 42 maps to %d", got)
	}
	if got := waitStatus(15); got != 143 {
		t.Errorf("death by SIGTERM maps to %d, want 143", got)
	}
}

package vm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitramfsMakesParents(t *testing.T) {
	var buf bytes.Buffer
	r, err := NewInitramfs(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"usr/local/bin/husk", "usr/local/bin/huskrt", "usr/lib/x"} {
		if err := r.File(name, 0o755, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range readCPIO(t, buf.Bytes()) {
		names = append(names, fmt.Sprintf("%s:%o", e.name, e.mode>>12))
	}
	want := "dev:4 dev/console:2 usr:4 usr/local:4 usr/local/bin:4 usr/local/bin/husk:10 " +
		"usr/local/bin/huskrt:10 usr/lib:4 usr/lib/x:10"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries:\n got %s\nwant %s", got, want)
	}
}

func TestCheckStatic(t *testing.T) {
	if err := CheckStatic(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckStatic(script); err == nil {
		t.Error("a script: no error")
	}
	// On a glibc system such as Debian, ls is linked dynamically.
	if _, err := os.Stat("/lib64/ld-linux-x86-64.so.2"); err != nil {
		t.Skip("not a glibc amd64 system")
	}
	if err := CheckStatic("/bin/ls"); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("/bin/ls: %v, want dynamically linked", err)
	}
}

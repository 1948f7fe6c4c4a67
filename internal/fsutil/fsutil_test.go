package fsutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	for _, durable := range []bool{false, true} {
		if err := WriteFile(path, []byte("new"), 0o640, durable); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		fi, _ := os.Stat(path)
		if err != nil || string(got) != "new" || fi.Mode().Perm() != 0o640 {
			t.Fatalf("content %q, mode %v, err %v", got, fi.Mode(), err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
	if err := WriteFile(filepath.Join(path, "under-a-file"), nil, 0o600, false); err == nil {
		t.Fatal("a write into a missing directory succeeded")
	}
}

func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := Lock(path, true)
	if err != nil {
		t.Fatal(err)
	}

	got := make(chan struct{})
	go func() {
		u, err := Lock(path, false)
		if err == nil {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a shared lock was granted while the exclusive one was held")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the shared lock never came after the release")
	}
}

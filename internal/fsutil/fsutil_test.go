package fsutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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

func TestMkdirTopMarks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "containers")
	if err := MkdirTop(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Skipf("the filesystem of %s has no inode flags: %v", dir, err)
	}
	if flags&fsTopdirFL == 0 {
		if err := unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, flags|fsTopdirFL); err != nil {
			t.Skipf("the filesystem of %s refuses the top-directory flag: %v", dir, err)
		}
		t.Fatalf("MkdirTop left %s without the top-directory flag (flags %#x)", dir, flags)
	}
	// Marked already: a second call changes nothing and succeeds.
	if err := MkdirTop(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

package vm

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cpioEntry is one entry of a newc archive as readCPIO parses it.
type cpioEntry struct {
	name         string
	mode         uint32
	nlink        uint32
	rdev         [2]uint32
	data         string
	headerOffset int
}

// readCPIO parses a newc archive up to its trailer, checking the
// alignment of every header and data block.
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	for {
		if off%4 != 0 {
			t.Fatalf("header at %d is not 4-byte aligned", off)
		}
		if len(b) < off+110 || string(b[off:off+6]) != "070701" {
			t.Fatalf("no newc header at %d", off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("header at %d, field %d: %v", off, i, err)
			}
			return uint32(v)
		}
		e := cpioEntry{mode: field(1), nlink: field(4), rdev: [2]uint32{field(9), field(10)}, headerOffset: off}
		if field(2) != 0 || field(3) != 0 || field(5) != 0 || field(12) != 0 {
			t.Errorf("header at %d: uid, gid, mtime and check must be 0", off)
		}
		size, namesize := int(field(6)), int(field(11))
		name := b[off+110 : off+110+namesize]
		if name[namesize-1] != 0 {
			t.Fatalf("name at %d not NUL-terminated", off)
		}
		e.name = string(name[:namesize-1])
		off += 110 + namesize
		off += padLen(off)
		e.data = string(b[off : off+size])
		off += size
		off += padLen(off)
		if e.name == "TRAILER!!!" {
			if off != len(b) {
				t.Errorf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, e)
	}
}

func TestCPIOWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewCPIOWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Mkdir("/bin", 0o755))
	must(w.WriteFile("bin/x", 0o755, []byte("12345"))) // data needs padding
	must(w.WriteFile("empty", 0o600, nil))
	must(w.Symlink("bin/sh", "busybox"))
	must(w.CharDev("console", 0o600, 5, 1))
	must(w.Close())
	if err := w.WriteFile("late", 0o644, nil); err == nil {
		t.Error("write after Close: no error")
	}

	got := readCPIO(t, buf.Bytes())
	want := []cpioEntry{
		{name: "bin", mode: 0o040755, nlink: 2},
		{name: "bin/x", mode: 0o100755, nlink: 1, data: "12345"},
		{name: "empty", mode: 0o100600, nlink: 1},
		{name: "bin/sh", mode: 0o120777, nlink: 1, data: "busybox"},
		{name: "console", mode: 0o020600, nlink: 1, rdev: [2]uint32{5, 1}},
	}
	if len(got) != len(want) {
		t.Fatalf("entries: got %d, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		got[i].headerOffset = 0
		if got[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestCPIOHeaderBytes pins the exact bytes of one entry, so a change to
// the header layout cannot pass unnoticed through a matching reader.
func TestCPIOHeaderBytes(t *testing.T) {
	var buf bytes.Buffer
	w := NewCPIOWriter(&buf)
	if err := w.WriteFile("a", 0o644, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	want := "070701" + "00000001" + "000081A4" + "00000000" + "00000000" + "00000001" +
		"00000000" + "00000002" + strings.Repeat("00000000", 4) + "00000002" + "00000000" +
		"a\x00" + "" + "hi\x00\x00"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", hex.Dump([]byte(got)), hex.Dump([]byte(want)))
	}
}

func TestCPIOBadNames(t *testing.T) {
	for _, name := range []string{"", "/", ".", "..", "../x", "/../x"} {
		w := NewCPIOWriter(&bytes.Buffer{})
		if err := w.WriteFile(name, 0o644, nil); err == nil {
			t.Errorf("name %q: no error", name)
		}
	}
}

// TestCPIOExtractsWithCpio has busybox cpio, an independent reader,
// unpack an Initramfs archive.
func TestCPIOExtractsWithCpio(t *testing.T) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed")
	}
	var buf bytes.Buffer
	r, err := NewInitramfs(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.File("a/b/c/file", 0o640, []byte("deep")); err != nil {
		t.Fatal(err)
	}
	if err := r.Symlink("a/link", "b/c/file"); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Unpack what the kernel would, less dev/console: cpio as non-root
	// or in a sandbox may not mknod.
	dir := t.TempDir()
	cmd := exec.Command(busybox, "cpio", "-i", "-d", "a/*", "a")
	cmd.Dir = dir
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("busybox cpio -i: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "a/link"))
	if err != nil || string(data) != "deep" {
		t.Fatalf("a/link: %q, %v", data, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "a/b/c/file"))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("a/b/c/file: %v, %v", fi, err)
	}
}

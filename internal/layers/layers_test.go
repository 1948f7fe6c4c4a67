package layers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// stack makes layer dirs, top first. Each layer is a list of entries:
// "dir/", "file", "name=WH" (a whiteout), "dir/=OPAQUE", "link->target".
func stack(t *testing.T, layers ...[]string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("whiteouts and trusted xattrs need root")
	}
	var dirs []string
	for _, entries := range layers {
		root := t.TempDir()
		for _, e := range entries {
			if err := makeEntry(root, e); err != nil {
				t.Fatalf("make %q: %v", e, err)
			}
		}
		dirs = append(dirs, root)
	}
	return dirs
}

func makeEntry(root, e string) error {
	name, target, isLink := strings.Cut(e, "->")
	name, kind, _ := strings.Cut(name, "=")
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	switch {
	case isLink:
		return os.Symlink(target, p)
	case kind == "WH":
		return unix.Mknod(p, unix.S_IFCHR|0o644, 0)
	case strings.HasSuffix(name, "/"):
		if err := os.Mkdir(p, 0o755); err != nil || kind != "OPAQUE" {
			return err
		}
		return unix.Lsetxattr(p, "trusted.overlay.opaque", []byte("y"), 0)
	}
	return os.WriteFile(p, nil, 0o644)
}

func TestLookup(t *testing.T) {
	dirs := stack(t,
		[]string{"etc/=OPAQUE", "etc/hosts", "gone=WH", "bin->usr/bin"},
		[]string{"etc/passwd", "gone", "var/lib/", "bin/sh"},
	)
	cases := []struct {
		name, layer string // the layer expected to hold it: "top", "low" or "" (absent)
		err         error
	}{
		{"etc/hosts", "top", nil},
		{"etc/passwd", "", nil}, // below an opaque directory
		{"etc", "top", nil},
		{"gone", "", nil},
		{"var/lib", "low", nil},
		{"var/run", "", nil},
		{"bin", "top", nil},
		{"bin/sh", "", ErrBlocked},
		{".", "top", nil},
	}
	for _, c := range cases {
		e, err := Lookup(dirs, c.name)
		if !errors.Is(err, c.err) {
			t.Errorf("Lookup(%q): error %v, want %v", c.name, err, c.err)
			continue
		}
		want := map[string]string{"top": dirs[0], "low": dirs[1]}[c.layer]
		switch {
		case want == "" && e != nil:
			t.Errorf("Lookup(%q) = %s, want absent", c.name, e.Path)
		case want != "" && (e == nil || e.Path != filepath.Join(want, c.name)):
			t.Errorf("Lookup(%q) = %+v, want it in the %s layer", c.name, e, c.layer)
		}
	}
}

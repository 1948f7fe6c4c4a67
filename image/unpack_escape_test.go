package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnpackRefusesEscapes feeds layers that try to write outside their
// directory. Each must fail naming the offending entry, and the sentinel
// directory next to the layer must stay empty; a file in "outside" must keep
// a link count of one (no hard link was made to it).
func TestUnpackRefusesEscapes(t *testing.T) {
	requireRoot(t)
	// base/layer is unpacked into; base/sentinel and base/outside/secret
	// are what an attack would reach. Names are absolute once base is known.
	type tc struct {
		name  string
		ents  func(base string) []ent
		entry string // entry the error must name; may use %s for base
	}
	dev := func(name string) ent {
		return ent{h: tar.Header{Typeflag: tar.TypeChar, Name: name, Mode: 0o600, Devmajor: 1, Devminor: 3}}
	}
	cases := []tc{
		{"dotdot", func(string) []ent { return []ent{fileEnt("../sentinel/x", "x")} }, "../sentinel/x"},
		{"dotdot-mid", func(string) []ent { return []ent{fileEnt("a/../../sentinel/x", "x")} },
			"a/../../sentinel/x"},
		{"absolute", func(b string) []ent { return []ent{fileEnt(b+"/sentinel/x", "x")} }, "%s/sentinel/x"},
		{"absolute-etc", func(string) []ent { return []ent{fileEnt("/etc/husk-test-must-not-exist", "x")} },
			"/etc/husk-test-must-not-exist"},
		{"dir-dotdot", func(string) []ent { return []ent{dirEnt("../sentinel/d/")} }, "../sentinel/d/"},
		{"symlink-rel-then-write", func(string) []ent {
			return []ent{symlinkEnt("link", "../sentinel"), fileEnt("link/x", "x")}
		}, "link/x"},
		{"symlink-abs-then-write", func(b string) []ent {
			return []ent{symlinkEnt("link", b+"/sentinel"), fileEnt("link/x", "x")}
		}, "link/x"},
		{"symlink-dir-then-nested", func(b string) []ent {
			return []ent{symlinkEnt("etc", b+"/sentinel"), dirEnt("etc/sub/"), fileEnt("etc/sub/passwd", "x")}
		}, "etc/sub/"},
		{"symlink-deep-parent", func(string) []ent {
			return []ent{dirEnt("a/"), symlinkEnt("a/b", "../../sentinel"), fileEnt("a/b/c/d", "x")}
		}, "a/b/c/d"},
		{"hardlink-dotdot", func(string) []ent { return []ent{hardlinkEnt("hl", "../outside/secret")} },
			"hl"},
		{"hardlink-absolute", func(b string) []ent { return []ent{hardlinkEnt("hl", b+"/outside/secret")} },
			"hl"},
		{"hardlink-through-symlink", func(string) []ent {
			return []ent{symlinkEnt("link", "../outside"), hardlinkEnt("hl", "link/secret")}
		}, "hl"},
		{"hardlink-missing-target", func(string) []ent { return []ent{hardlinkEnt("hl", "nope")} }, "hl"},
		{"whiteout-through-symlink", func(string) []ent {
			return []ent{symlinkEnt("link", "../sentinel"), fileEnt("link/.wh.x", "")}
		}, "link/.wh.x"},
		{"opaque-through-symlink", func(string) []ent {
			return []ent{symlinkEnt("link", "../sentinel"), fileEnt("link/.wh..wh..opq", "")}
		}, "link/.wh..wh..opq"},
		{"whiteout-dotdot", func(string) []ent { return []ent{fileEnt("../sentinel/.wh.x", "")} },
			"../sentinel/.wh.x"},
		{"device-through-symlink", func(string) []ent {
			return []ent{symlinkEnt("link", "../sentinel"), dev("link/null")}
		}, "link/null"},
		{"symlink-through-symlink", func(string) []ent {
			return []ent{symlinkEnt("link", "../sentinel"), symlinkEnt("link/s", "/etc/shadow")}
		}, "link/s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := t.TempDir()
			layer, sentinel, outside := filepath.Join(base, "layer"), filepath.Join(base, "sentinel"),
				filepath.Join(base, "outside")
			for _, d := range []string{layer, sentinel, outside} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			secret := filepath.Join(outside, "secret")
			mustWrite(t, secret, []byte("secret"))

			_, err := Unpack(bytes.NewReader(makeTar(t, c.ents(base)...)), layer)

			entry := c.entry
			if strings.Contains(entry, "%s") {
				entry = fmt.Sprintf(entry, base)
			}
			if want := fmt.Sprintf("entry %q", entry); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Unpack error = %v, want one naming %s", err, want)
			}
			if names := entries(t, sentinel); len(names) != 0 {
				t.Errorf("sentinel dir got %v", names)
			}
			if names := entries(t, base); strings.Join(names, ",") != "layer,outside,sentinel" {
				t.Errorf("layer's parent holds %v", names)
			}
			if st := lstat(t, secret); st.Nlink != 1 {
				t.Errorf("outside file has %d links", st.Nlink)
			}
			if _, err := os.Lstat("/etc/husk-test-must-not-exist"); err == nil {
				t.Errorf("/etc/husk-test-must-not-exist was written")
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestCleanName(t *testing.T) {
	for name, want := range map[string]string{
		"./":      ".",
		".":       ".",
		"./a/b/":  "a/b",
		"a//b":    "a/b",
		"a/../b":  "b",
		"a/./b/c": "a/b/c",
		"..":      "",
		"../a":    "",
		"a/../..": "",
		"/a":      "",
		"":        "",
	} {
		got, err := cleanName(name)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}

package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/rootfs"
)

// makeLayers makes overlay layer dirs, top first, from path -> content maps;
// content "WHITEOUT" makes an overlay whiteout, "OPAQUE" an opaque dir,
// "->target" a symlink.
func makeLayers(t *testing.T, specs ...map[string]string) []string {
	t.Helper()
	var dirs []string
	for _, files := range specs {
		dir := t.TempDir()
		for path, content := range files {
			p := filepath.Join(dir, path)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			var err error
			switch {
			case content == "WHITEOUT":
				err = unix.Mknod(p, unix.S_IFCHR|0o644, 0)
			case content == "OPAQUE":
				if err = os.Mkdir(p, 0o755); err == nil {
					err = unix.Lsetxattr(p, "trusted.overlay.opaque", []byte("y"), 0)
				}
			case len(content) > 2 && content[:2] == "->":
				err = os.Symlink(content[2:], p)
			default:
				err = os.WriteFile(p, []byte(content), 0o644)
			}
			if err != nil {
				t.Skipf("make %s (needs root): %v", path, err)
			}
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

func overlayCfg(dirs []string) *initConfig {
	return &initConfig{RootMount: &specs.Mount{Type: "overlay", Options: []string{
		"upperdir=" + dirs[0], "lowerdir=" + strings.Join(dirs[1:], ":")}}}
}

// TestReadRootFileLayers reads /etc/passwd through overlay layers as the
// container will see it, which the C init's user resolution relies on.
func TestReadRootFileLayers(t *testing.T) {
	cases := []struct {
		name    string
		layers  []map[string]string
		want    string
		needsGo bool
	}{
		{"lower only", []map[string]string{{}, {"etc/passwd": "low"}}, "low", false},
		{"upper wins", []map[string]string{{"etc/passwd": "up"}, {"etc/passwd": "low"}}, "up", false},
		{"middle layer", []map[string]string{{}, {"etc/passwd": "mid"}, {"etc/passwd": "low"}}, "mid", false},
		{"whiteout", []map[string]string{{"etc/passwd": "WHITEOUT"}, {"etc/passwd": "low"}}, "", false},
		{"opaque dir", []map[string]string{{"etc": "OPAQUE"}, {"etc/passwd": "low"}}, "", false},
		{"opaque dir with file", []map[string]string{{"etc": "OPAQUE", "etc/passwd": "up"}, {"etc/passwd": "low"}}, "up", false},
		{"whited-out etc", []map[string]string{{"etc": "WHITEOUT"}, {"etc/passwd": "low"}}, "", false},
		{"none", []map[string]string{{}, {"bin/sh": "x"}}, "", false},
		{"symlink", []map[string]string{{"etc/passwd": "->/etc/shadow"}, {"etc/passwd": "low"}}, "", true},
		{"etc symlink", []map[string]string{{"etc": "->/host"}, {"etc/passwd": "low"}}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readRootFile(overlayCfg(makeLayers(t, c.layers...)), "etc/passwd")
			if c.needsGo {
				if !errors.Is(err, rootfs.ErrNeedsGoInit) {
					t.Fatalf("got %q, %v; want the Go init to read it", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// TestReadRootFileDir resolves symlinks inside a plain rootfs directory,
// never outside it.
func TestReadRootFileDir(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "real"), []byte("inside"), 0o644)
	os.Symlink("/real", filepath.Join(root, "etc/passwd"))
	cfg := &initConfig{Spec: &specs.Spec{Root: &specs.Root{Path: root}}}
	if got, err := readRootFile(cfg, "etc/passwd"); err != nil || got != "inside" {
		t.Fatalf("got %q, %v; want the rootfs's /real", got, err)
	}
	if got, err := readRootFile(cfg, "etc/group"); err != nil || got != "" {
		t.Fatalf("missing file: got %q, %v", got, err)
	}
}

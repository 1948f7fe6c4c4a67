package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportFormats imports the same image as a layout directory and as an
// OCI archive through the CLI, and lists and removes it as a user would.
func TestImportFormats(t *testing.T) {
	need(t)
	root := t.TempDir()
	layout := filepath.Join(imagesDir, "alpine-3.20.3")
	archive := filepath.Join(t.TempDir(), "alpine.tar")
	if out, err := exec.Command("tar", "-C", layout, "-cf", archive, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}

	a := runHusk(root, nil, "image", "import", layout, "alp:dir")
	b := runHusk(root, nil, "image", "import", archive, "alp:tar")
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout {
		t.Fatalf("imports: %+v %+v; want the same image id twice", a, b)
	}

	images := runHusk(root, nil, "images").stdout
	for _, want := range []string{"REPOSITORY", "alp ", "dir", "tar", shortID(a.stdout), "MB"} {
		if !strings.Contains(images, want) {
			t.Errorf("husk images lacks %q:\n%s", want, images)
		}
	}

	if r := runHusk(root, nil, "run", "--rm", "alp:tar", "cat", "/etc/alpine-release"); r.stdout != "3.20.3\n" {
		t.Errorf("run of the archive's image: %+v", r)
	}
	for _, name := range []string{"alp:dir", "alp:tar"} {
		if r := runHusk(root, nil, "rmi", name); r.code != 0 {
			t.Fatalf("rmi %s: %s", name, r.stderr)
		}
	}
	if got := runHusk(root, nil, "images", "-q").stdout; got != "" {
		t.Errorf("images left after rmi: %q", got)
	}
	if layers, _ := os.ReadDir(filepath.Join(root, "layers", "sha256")); len(layers) != 0 {
		t.Errorf("layers left after the last rmi: %v", layers)
	}
}

func shortID(id string) string {
	_, hex, _ := strings.Cut(strings.TrimSpace(id), ":")
	return hex[:12]
}

func TestImportBadInput(t *testing.T) {
	need(t)
	root := t.TempDir()
	bad := filepath.Join(t.TempDir(), "not-an-image.txt")
	os.WriteFile(bad, []byte("hello"), 0o644)

	for _, path := range []string{bad, "/no/such/layout"} {
		r := runHusk(root, nil, "image", "import", path)
		if r.code == 0 || !strings.Contains(r.stderr, path) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("import %s: exit %d, stderr %q; want one line naming it", path, r.code, r.stderr)
		}
	}
	if r := runHusk(root, nil, "image", "import", bad); !strings.Contains(r.stderr, "not an image layout or archive") {
		t.Errorf("import of a text file: %q, want it called no image", r.stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "blobs", "sha256")); len(entries) != 0 {
		t.Errorf("a failed import left blobs: %v", entries)
	}
}

func TestRunOCILayoutDirectly(t *testing.T) {
	need(t)
	root := t.TempDir()
	r := runHusk(root, nil, "run", "--rm", "oci:"+filepath.Join(imagesDir, "busybox-1.38-glibc"), "echo", "direct")
	if r.code != 0 || r.stdout != "direct\n" {
		t.Fatalf("oci: run: %+v", r)
	}
	assertClean(t, root)
}

func TestRmiRefusedWhileUsed(t *testing.T) {
	need(t)
	root := newRoot(t)
	if r := runHusk(root, nil, "run", "--name", "user1", "busybox:musl", "true"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := runHusk(root, nil, "rmi", "busybox:musl"); r.code == 0 || !strings.Contains(r.stderr, "user1") {
		t.Fatalf("rmi of a used image: exit %d, %q; want a refusal naming the container", r.code, r.stderr)
	}
	runHusk(root, nil, "rm", "user1")
	if r := runHusk(root, nil, "rmi", "busybox:musl"); r.code != 0 {
		t.Fatalf("rmi after rm: %s", r.stderr)
	}
}

// TestWhiteoutsAcrossLayers runs an image of three layers, built by
// scripts/mkimage, whose upper layers delete a file and make a directory
// opaque: the container must see the merged result.
func TestWhiteoutsAcrossLayers(t *testing.T) {
	need(t)
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		skip(t, "busybox-static is not installed")
	}
	tmp := t.TempDir()
	base, top := filepath.Join(tmp, "base"), filepath.Join(tmp, "top")
	writeTree(t, base, map[string]string{
		"bin/busybox": "", "a/gone": "old", "a/kept": "kept",
		"b/hidden": "old", "c/file": "c",
	})
	copyFile(t, busybox, filepath.Join(base, "bin/busybox"))
	writeTree(t, top, map[string]string{
		"a/.wh.gone": "", "b/.wh..wh..opq": "", "b/new": "new", "c/file": "changed",
	})

	layout := filepath.Join(tmp, "layout")
	cmd := exec.Command("../scripts/mkimage", "-o", layout, "-n", "wh:test", "-z", "zstd",
		"-E", "/bin/busybox", "--", base, top)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkimage: %v\n%s", err, out)
	}

	root := t.TempDir()
	r := runHusk(root, nil, "run", "--rm", "oci:"+layout, "sh", "-c", "ls /a; ls /b; cat /c/file")
	if want := "kept\nnew\nchanged"; r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Fatalf("merged view: %+v, want %q", r, want)
	}
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestImagesOfRepository checks `husk images REPOSITORY[:TAG]`, which
// lists only that repository's images, or that one tag's.
func TestImagesOfRepository(t *testing.T) {
	need(t)
	root := newRoot(t)
	if r := runHusk(root, nil, "image", "import", filepath.Join(imagesDir, "alpine-3.20.3"), "alpine:3.20.3"); r.code != 0 {
		t.Fatalf("import alpine: %s", r.stderr)
	}
	rows := func(args ...string) []string {
		r := runHusk(root, nil, append([]string{"images"}, args...)...)
		if r.code != 0 {
			t.Fatalf("images %v: exit %d: %s", args, r.code, r.stderr)
		}
		return strings.Split(strings.TrimSpace(r.stdout), "\n")
	}
	if got := rows(); len(got) != 3 {
		t.Fatalf("images: %q, want a header and two images", got)
	}
	if got := rows("busybox"); len(got) != 2 || !strings.HasPrefix(got[1], "busybox ") {
		t.Fatalf("images busybox: %q", got)
	}
	if got := rows("alpine:3.20.3"); len(got) != 2 || !strings.HasPrefix(got[1], "alpine ") {
		t.Fatalf("images alpine:3.20.3: %q", got)
	}
	if got := rows("alpine:edge"); len(got) != 1 {
		t.Fatalf("images alpine:edge: %q, want the header alone", got)
	}
	if got := rows("-q", "alpine"); len(got) != 1 || len(got[0]) != 12 {
		t.Fatalf("images -q alpine: %q, want one short id", got)
	}
	if got := rows("docker.io/library/alpine:3.20.3"); len(got) != 2 || !strings.HasPrefix(got[1], "alpine ") {
		t.Fatalf("images docker.io/library/alpine:3.20.3: %q", got)
	}
	if r := runHusk(root, nil, "images", "a", "b"); r.code == 0 || !strings.Contains(r.stderr, "at most one") {
		t.Fatalf("images a b: exit %d, %q", r.code, r.stderr)
	}
	if r := runHusk(root, nil, "images", "Bad!!"); r.code == 0 || !strings.Contains(r.stderr, "invalid name: want") {
		t.Fatalf("images Bad!!: exit %d, %q; want the name rule", r.code, r.stderr)
	}
}

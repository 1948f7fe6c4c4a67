package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGetListRemove(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	alpine, err := s.Import(testImage(t, "alpine-3.20.3"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bb, err := s.Import(testImage(t, "busybox-1.38-musl"), ImportOptions{Name: "bb"})
	if err != nil {
		t.Fatal(err)
	}
	hex := bb.ID.Encoded()
	for _, ref := range []string{
		"bb", "bb:latest", "docker.io/library/bb", bb.ID.String(), hex, hex[:4], "sha256:" + hex[:12],
	} {
		img, err := s.Get(ref)
		if err != nil || img.ID != bb.ID {
			t.Errorf("Get(%q) = %v, %v; want %s", ref, img, err, bb.ID)
		}
	}
	for _, ref := range []string{
		"alpine", "nope:1", hex[:3], "sha256:" + strings.Repeat("0", 64), "Bad Name",
	} {
		if _, err := s.Get(ref); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), ref) {
			t.Errorf("Get(%q) = %v, want ErrNotFound naming the ref", ref, err)
		}
	}
	if imgs, err := s.List(); err != nil || len(imgs) != 2 {
		t.Fatalf("List = %d, %v", len(imgs), err)
	}

	// A second name; removing one keeps the image.
	if _, err := s.Import(testImage(t, "busybox-1.38-musl"), ImportOptions{Name: "bb:two"}); err != nil {
		t.Fatal(err)
	}
	if img, _ := s.Get("bb"); strings.Join(img.Names, ",") != "bb:latest,bb:two" {
		t.Errorf("names %v", img.Names)
	}
	if err := s.Remove("bb"); err != nil {
		t.Fatal(err)
	}
	if img, err := s.Get(hex); err != nil || strings.Join(img.Names, ",") != "bb:two" {
		t.Fatalf("after untag: %v %v", img, err)
	}
	if err := s.Remove("bb:two"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(hex); !errors.Is(err, ErrNotFound) {
		t.Errorf("image still there after its last name went: %v", err)
	}
	if _, err := os.Stat(s.layerPath(bb.Layers[0])); err == nil {
		t.Error("unused layer kept after remove")
	}
	if _, err := os.Stat(s.layerPath(alpine.Layers[0])); err != nil {
		t.Errorf("other image's layer removed: %v", err)
	}
	if err := s.Remove("bb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove of a gone name = %v, want ErrNotFound", err)
	}
	// Remove by ID drops every name.
	if err := s.Remove(alpine.ID.Encoded()[:8]); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{s.layersDir(), s.blobDir(), s.imagesDir()} {
		if n := entries(t, d); len(n) != 0 {
			t.Errorf("%s holds %v", d, n)
		}
	}
	var r map[string]string
	data, _ := os.ReadFile(s.reposPath())
	if json.Unmarshal(data, &r); len(r) != 0 {
		t.Errorf("repositories.json = %s", data)
	}
}

func TestRetagMovesName(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	musl, err := s.Import(testImage(t, "busybox-1.38-musl"), ImportOptions{Name: "x:1"})
	if err != nil {
		t.Fatal(err)
	}
	glibc, err := s.Import(testImage(t, "busybox-1.38-glibc"), ImportOptions{Name: "x:1"})
	if err != nil {
		t.Fatal(err)
	}
	if img, _ := s.Get("x:1"); img.ID != glibc.ID {
		t.Errorf("x:1 -> %s, want the newer image %s", img.ID, glibc.ID)
	}
	old, err := s.Get(musl.ID.String())
	if err != nil || len(old.Names) != 0 {
		t.Errorf("old image: %v %v; want it kept untagged", old, err)
	}
}

// TestImportConcurrent runs imports in parallel: the store lock serializes
// them, the shared layer is unpacked once, and stale tmp entries (a crashed
// import) are cleared.
func TestImportConcurrent(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	stale := filepath.Join(s.tmpDir(), "layer-crashed")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	layout := testImage(t, "busybox-1.38-musl")
	errs := make(chan error)
	for i := range 4 {
		go func() {
			_, err := s.Import(layout, ImportOptions{Name: fmt.Sprintf("bb:%d", i)})
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	img, err := s.Get("bb:0")
	if err != nil || len(img.Names) != 4 {
		t.Fatalf("Get = %v, %v; want one image with 4 names", img, err)
	}
	if n := entries(t, s.layersDir()); len(n) != 1 {
		t.Errorf("layers %v, want one", n)
	}
	if n := entries(t, s.tmpDir()); len(n) != 0 {
		t.Errorf("tmp holds %v", n)
	}
}

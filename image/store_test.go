package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"husk/image/oci"
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
		"alpine", "nope:1", hex[:3], "sha256:" + strings.Repeat("0", 64),
	} {
		if _, err := s.Get(ref); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), ref) {
			t.Errorf("Get(%q) = %v, want ErrNotFound naming the ref", ref, err)
		}
	}
	// A ref that is neither a name nor an id says so, not "not found".
	if _, err := s.Get("Bad Name"); err == nil || errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), `"Bad Name": invalid name`) {
		t.Errorf(`Get("Bad Name") = %v, want an invalid-name error naming it`, err)
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
	if _, err := s.Remove("bb", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if img, err := s.Get(hex); err != nil || strings.Join(img.Names, ",") != "bb:two" {
		t.Fatalf("after untag: %v %v", img, err)
	}
	if _, err := s.Remove("bb:two", RemoveOptions{}); err != nil {
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
	if _, err := s.Remove("bb", RemoveOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove of a gone name = %v, want ErrNotFound", err)
	}
	// Remove by ID drops every name.
	if _, err := s.Remove(alpine.ID.Encoded()[:8], RemoveOptions{}); err != nil {
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

// TestGetNamesNormalizedRef: a missing name is reported as the "name:tag"
// looked up, so "alpine" next to alpine:3.20.3 reads as a missing tag.
func TestGetNamesNormalizedRef(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	if _, err := s.Import(testImage(t, "alpine-3.20.3"), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{
		"alpine":                   `image "alpine:latest": not found`,
		"docker.io/library/alpine": `image "alpine:latest": not found`,
		"alpine:3.20":              `image "alpine:3.20": not found`,
		"abcd":                     `image "abcd": not found`, // a name or an id prefix
	} {
		_, err := s.Get(ref)
		if !errors.Is(err, ErrNotFound) || err.Error() != want {
			t.Errorf("Get(%q) = %v, want %q", ref, err, want)
		}
		if _, err := s.Remove(ref, RemoveOptions{}); err == nil || err.Error() != want {
			t.Errorf("Remove(%q) = %v, want %q", ref, err, want)
		}
	}
}

// TestRemoveByIDRefusesSeveralNames: an ID of an image with several names
// removes nothing unless forced; the result says what was untagged and
// deleted.
func TestRemoveByIDRefusesSeveralNames(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	layout := testImage(t, "busybox-1.38-musl")
	img, err := s.Import(layout, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(layout, ImportOptions{Name: "bbmusl"}); err != nil {
		t.Fatal(err)
	}
	prefix := img.ID.Encoded()[:4]
	for _, ref := range []string{prefix, img.ID.String()} {
		_, err = s.Remove(ref, RemoveOptions{})
		want := fmt.Sprintf("image %q is referenced by 2 names (bbmusl:latest, busybox:1.38.0-musl): "+
			"remove them by name, or force", ref)
		if err == nil || err.Error() != want {
			t.Fatalf("Remove(%q) = %v, want %q", ref, err, want)
		}
	}
	if got, err := s.Get(prefix); err != nil || len(got.Names) != 2 {
		t.Fatalf("after a refused remove: %v, %v; want both names kept", got, err)
	}

	res, err := s.Remove(prefix, RemoveOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &RemoveResult{ID: img.ID, Untagged: []string{"bbmusl:latest", "busybox:1.38.0-musl"},
		Deleted: true, Layers: img.Layers}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("forced Remove = %+v, want %+v", res, want)
	}
	for _, d := range []string{s.layersDir(), s.blobDir(), s.imagesDir()} {
		if n := entries(t, d); len(n) != 0 {
			t.Errorf("%s holds %v", d, n)
		}
	}

	// One name: an ID needs no force. By name, the image goes with its
	// last name only, and a layer another image uses stays.
	if img, err = s.Import(layout, ImportOptions{Name: "one"}); err != nil {
		t.Fatal(err)
	}
	res, err = s.Remove(prefix, RemoveOptions{})
	if err != nil || !res.Deleted || strings.Join(res.Untagged, ",") != "one:latest" {
		t.Errorf("Remove by id of a one-name image = %+v, %v", res, err)
	}
	s.Import(layout, ImportOptions{Name: "a"})
	s.Import(layout, ImportOptions{Name: "b"})
	shared := newLayout(t)
	writeIndex(t, shared, withRefName(addImage(t, shared, []testLayer{realLayer(t, layout)},
		func(c *oci.Image) { c.Config.Cmd = []string{"other"} }), "shares:1"))
	if _, err := s.Import(shared, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err = s.Remove("a", RemoveOptions{})
	if err != nil || res.Deleted || strings.Join(res.Untagged, ",") != "a:latest" {
		t.Errorf("Remove(a) = %+v, %v; want an untag only", res, err)
	}
	res, err = s.Remove("b", RemoveOptions{})
	if err != nil || !res.Deleted || res.ID != img.ID || len(res.Layers) != 0 {
		t.Errorf("Remove(b) = %+v, %v; want the image deleted, its shared layer kept", res, err)
	}
}

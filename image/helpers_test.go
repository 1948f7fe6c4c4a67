package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"husk/image/oci"
)

// requireRoot skips t when not running as root, which unpacking needs for
// chown, mknod and trusted.* xattrs. With HUSK_TEST_ROOT=1 (as .ci/run sets) a
// missing root fails the test instead, so CI cannot skip silently.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("HUSK_TEST_ROOT") == "1" {
		t.Fatal("needs root (HUSK_TEST_ROOT=1 is set)")
	}
	t.Skip("needs root: unpacking chowns, mknods and sets trusted.* xattrs")
}

// testImage returns the path of a real image layout from
// $HUSK_TEST_IMAGES (default /work/shared/images), skipping when absent.
func testImage(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("HUSK_TEST_IMAGES")
	if dir == "" {
		dir = "/work/shared/images"
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(filepath.Join(p, "index.json")); err != nil {
		t.Skipf("test image %q not available (set HUSK_TEST_IMAGES): %v", p, err)
	}
	return p
}

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

// ent is one tar entry for makeTar; body is the content of regular files.
type ent struct {
	h    tar.Header
	body string
}

func fileEnt(name, body string) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: t0}, body: body}
}

func dirEnt(name string) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: t0}}
}

func symlinkEnt(name, target string) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, ModTime: t0}}
}

func hardlinkEnt(name, target string) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: t0}}
}

// makeTar returns an uncompressed tar of ents.
func makeTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.h
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if len(h.PAXRecords) > 0 {
			h.Format = tar.FormatPAX
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("tar header %q: %v", h.Name, err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(data []byte) oci.Digest {
	sum := sha256.Sum256(data)
	return oci.NewDigest(oci.SHA256, hex.EncodeToString(sum[:]))
}

// layout helpers: build OCI layouts blob by blob.

func newLayout(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`))
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustWrite(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func addBlob(t testing.TB, dir, mediaType string, data []byte) oci.Descriptor {
	t.Helper()
	d := sha(data)
	mustWrite(t, filepath.Join(dir, "blobs", "sha256", d.Encoded()), data)
	return oci.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

// testLayer is a layer blob and the diff_id its config gives.
type testLayer struct {
	blob   []byte
	diffID oci.Digest
}

func plainLayer(tarData []byte) testLayer { return testLayer{tarData, sha(tarData)} }

// addImage writes config and manifest for layers into the layout dir and
// returns the manifest descriptor, platform linux/amd64.
func addImage(t testing.TB, dir string, layers []testLayer,
	mutate func(*oci.Image),
) oci.Descriptor {
	t.Helper()
	created := t0
	cfg := oci.Image{
		Created:  &created,
		Platform: oci.Platform{OS: "linux", Architecture: "amd64"},
		Config:   oci.ImageConfig{Cmd: []string{"/bin/sh"}},
		RootFS:   oci.RootFS{Type: "layers"},
	}
	m := oci.Manifest{MediaType: oci.MediaTypeImageManifest}
	m.SchemaVersion = 2
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
		m.Layers = append(m.Layers, addBlob(t, dir, oci.MediaTypeImageLayerGzip, l.blob))
	}
	if mutate != nil {
		mutate(&cfg)
	}
	m.Config = addBlob(t, dir, oci.MediaTypeImageConfig, mustJSON(t, cfg))
	desc := addBlob(t, dir, oci.MediaTypeImageManifest, mustJSON(t, m))
	desc.Platform = &oci.Platform{OS: "linux", Architecture: "amd64"}
	return desc
}

func writeIndex(t testing.TB, dir string, descs ...oci.Descriptor) {
	t.Helper()
	idx := oci.Index{MediaType: oci.MediaTypeImageIndex, Manifests: descs}
	idx.SchemaVersion = 2
	mustWrite(t, filepath.Join(dir, "index.json"), mustJSON(t, idx))
}

func withRefName(d oci.Descriptor, name string) oci.Descriptor {
	d.Annotations = map[string]string{oci.AnnotationRefName: name}
	return d
}

// realLayer returns the first layer blob of a real image layout and its
// diff_id.
func realLayer(t testing.TB, layout string) testLayer {
	t.Helper()
	var idx oci.Index
	readJSONFile(t, filepath.Join(layout, "index.json"), &idx)
	var m oci.Manifest
	readJSONFile(t, blobFile(layout, idx.Manifests[0].Digest), &m)
	var cfg oci.Image
	readJSONFile(t, blobFile(layout, m.Config.Digest), &cfg)
	blob, err := os.ReadFile(blobFile(layout, m.Layers[0].Digest))
	if err != nil {
		t.Fatal(err)
	}
	return testLayer{blob, cfg.RootFS.DiffIDs[0]}
}

func blobFile(layout string, d oci.Digest) string {
	return filepath.Join(layout, "blobs", "sha256", d.Encoded())
}

func readJSONFile(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// copyLayout copies a layout into a writable temp dir.
func copyLayout(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// entries lists the names in dir, failing on error.
func entries(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

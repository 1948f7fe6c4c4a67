package image

import (
	"archive/tar"
	"bytes"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"husk/image/oci"
)

var realImages = map[string]string{
	"busybox-1.38-musl":  "busybox:1.38.0-musl",
	"busybox-1.38-glibc": "busybox:1.38.0-glibc",
	"alpine-3.20.3":      "alpine:3.20.3",
}

// configDigest returns the config digest (image ID) of a single-image layout.
func configDigest(t *testing.T, layout string) oci.Digest {
	var idx oci.Index
	readJSONFile(t, filepath.Join(layout, "index.json"), &idx)
	var m oci.Manifest
	readJSONFile(t, blobFile(layout, idx.Manifests[0].Digest), &m)
	return m.Config.Digest
}

func TestImportLayouts(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	for dir, name := range realImages {
		layout := testImage(t, dir)
		img, err := s.Import(layout, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(img.Names) != 1 || img.Names[0] != name {
			t.Errorf("%s: names %v, want [%s] from the ref.name annotation", dir, img.Names, name)
		}
		if want := configDigest(t, layout); img.ID != want {
			t.Errorf("%s: id %s, want config digest %s", dir, img.ID, want)
		}
		if len(img.Layers) != 1 || img.Size <= 0 || img.Created.IsZero() {
			t.Errorf("%s: layers %v size %d created %v", dir, img.Layers, img.Size, img.Created)
		}
		if img.Config.Config.Env == nil || img.Config.Architecture != "amd64" {
			t.Errorf("%s: config not parsed: %+v", dir, img.Config)
		}
		sh := filepath.Join(s.LayerDirs(img)[0], "bin", "sh")
		if _, err := os.Lstat(sh); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
	}
	imgs, err := s.List()
	if err != nil || len(imgs) != len(realImages) {
		t.Fatalf("List = %d images, %v; want %d", len(imgs), err, len(realImages))
	}
	if n := entries(t, s.tmpDir()); len(n) != 0 {
		t.Errorf("tmp dir holds %v after imports", n)
	}
}

// tarLayout returns a tar of an OCI layout directory: an OCI archive.
func tarLayout(t *testing.T, layout string, gz bool) string {
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	tw := tar.NewWriter(w)
	if err := tw.AddFS(os.DirFS(layout)); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	p := filepath.Join(t.TempDir(), "image.tar")
	mustWrite(t, p, buf.Bytes())
	return p
}

func TestImportOCIArchive(t *testing.T) {
	requireRoot(t)
	layout := testImage(t, "alpine-3.20.3")
	for _, gz := range []bool{false, true} {
		s := newStore(t)
		img, err := s.Import(tarLayout(t, layout, gz), ImportOptions{Name: "myalpine"})
		if err != nil {
			t.Fatalf("gzip=%v: %v", gz, err)
		}
		if img.ID != configDigest(t, layout) || strings.Join(img.Names, ",") != "myalpine:latest" {
			t.Errorf("gzip=%v: got %s %v", gz, img.ID, img.Names)
		}
		// index.json and oci-layout went through the blob store too, and
		// must not stay: only manifest, config and layer remain.
		if n := entries(t, s.blobDir()); len(n) != 3 {
			t.Errorf("gzip=%v: blob store holds %d blobs, want 3: %v", gz, len(n), n)
		}
	}
}

// dockerSave writes a `docker save` style archive (manifest.json, config
// as <hex>.json, layers as <id>/layer.tar) of a single-layer layout.
// With symlink set, the layer is stored under another id and the listed
// path is a symlink to it, as older docker writes shared layers.
func dockerSave(t *testing.T, layout string, gzLayer, gzArchive, symlink bool, tags ...string) string {
	var idx oci.Index
	readJSONFile(t, filepath.Join(layout, "index.json"), &idx)
	var m oci.Manifest
	readJSONFile(t, blobFile(layout, idx.Manifests[0].Digest), &m)
	cfg, _ := os.ReadFile(blobFile(layout, m.Config.Digest))
	layer, _ := os.ReadFile(blobFile(layout, m.Layers[0].Digest))
	if !gzLayer {
		zr, err := gzip.NewReader(bytes.NewReader(layer))
		if err != nil {
			t.Fatal(err)
		}
		layer, _ = io.ReadAll(zr)
	}
	layerID := strings.Repeat("ab", 32)
	manifest := mustJSON(t, []map[string]any{{
		"Config": m.Config.Digest.Encoded() + ".json", "RepoTags": tags,
		"Layers": []string{layerID + "/layer.tar"},
	}})
	var buf bytes.Buffer
	var w io.Writer = &buf
	zw := gzip.NewWriter(&buf)
	if gzArchive {
		w = zw
	}
	tw := tar.NewWriter(w)
	add := func(name string, data []byte) {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o644})
		tw.Write(data)
	}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: layerID + "/", Mode: 0o755})
	add(layerID+"/VERSION", []byte("1.0"))
	if symlink {
		other := strings.Repeat("cd", 32)
		add(other+"/layer.tar", layer)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: layerID + "/layer.tar",
			Linkname: "../" + other + "/layer.tar"})
	} else {
		add(layerID+"/layer.tar", layer)
	}
	add(m.Config.Digest.Encoded()+".json", cfg)
	add("manifest.json", manifest)
	add("repositories", []byte(`{}`))
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), "save.tar")
	mustWrite(t, p, buf.Bytes())
	return p
}

func TestImportDockerSave(t *testing.T) {
	requireRoot(t)
	layout := testImage(t, "busybox-1.38-musl")
	for _, c := range []struct{ gzLayer, gzArchive, symlink bool }{
		{false, false, false}, {true, false, false}, {false, true, false}, {false, false, true},
	} {
		s := newStore(t)
		img, err := s.Import(dockerSave(t, layout, c.gzLayer, c.gzArchive, c.symlink, "busybox:saved"),
			ImportOptions{})
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if img.ID != configDigest(t, layout) || strings.Join(img.Names, ",") != "busybox:saved" {
			t.Errorf("%+v: got %s %v, want RepoTags[0] as name", c, img.ID, img.Names)
		}
		if _, err := os.Lstat(filepath.Join(s.LayerDirs(img)[0], "bin", "busybox")); err != nil {
			t.Error(err)
		}
	}
}

// TestImportDockerSaveOCI imports a docker 25+ style archive: an OCI
// layout whose ref.name is a bare tag and io.containerd.image.name the name.
func TestImportDockerSaveOCI(t *testing.T) {
	requireRoot(t)
	layout := copyLayout(t, testImage(t, "busybox-1.38-musl"))
	var idx oci.Index
	readJSONFile(t, filepath.Join(layout, "index.json"), &idx)
	idx.Manifests[0].Annotations = map[string]string{
		oci.AnnotationRefName: "latest", containerdNameAnnotation: "docker.io/library/busybox:latest",
	}
	mustWrite(t, filepath.Join(layout, "index.json"), mustJSON(t, idx))
	mustWrite(t, filepath.Join(layout, "manifest.json"),
		[]byte(`[{"Config":"x","RepoTags":["ignored:1"]}]`))
	img, err := newStore(t).Import(tarLayout(t, layout, false), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(img.Names, ",") != "busybox:latest" {
		t.Errorf("names %v, want busybox:latest", img.Names)
	}
}

func TestImportSharedLayerUnpackedOnce(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	alpine := testImage(t, "alpine-3.20.3")
	a, err := s.Import(alpine, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.LayerDirs(a)[0]
	before := lstat(t, dir)

	// A second image on the same layer, with another config.
	layout := newLayout(t)
	writeIndex(t, layout, withRefName(addImage(t, layout, []testLayer{realLayer(t, alpine)},
		func(c *oci.Image) { c.Config.Cmd = []string{"/bin/true"} }), "derived:1"))
	b, err := s.Import(layout, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID == a.ID || s.LayerDirs(b)[0] != dir {
		t.Fatalf("want distinct images sharing %s, got %s", dir, s.LayerDirs(b)[0])
	}
	if after := lstat(t, dir); after.Ino != before.Ino || after.Ctim != before.Ctim {
		t.Errorf("layer dir was unpacked again (inode %d -> %d)", before.Ino, after.Ino)
	}
	// Removing one image keeps the shared layer; removing both drops it.
	if _, err := s.Remove("alpine:3.20.3", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("shared layer removed while still used: %v", err)
	}
	if _, err := s.Remove("derived:1", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{s.layersDir(), s.blobDir(), s.imagesDir()} {
		if n := entries(t, d); len(n) != 0 {
			t.Errorf("%s holds %v after removing every image", d, n)
		}
	}
}

func TestImportRefusesCorruptBlobs(t *testing.T) {
	requireRoot(t)
	src := testImage(t, "busybox-1.38-musl")
	var idx oci.Index
	readJSONFile(t, filepath.Join(src, "index.json"), &idx)
	var m oci.Manifest
	readJSONFile(t, blobFile(src, idx.Manifests[0].Digest), &m)
	flip := func(d oci.Digest) func(string) {
		return func(layout string) {
			p := blobFile(layout, d)
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 0xff
			mustWrite(t, p, data)
		}
	}
	cases := []struct {
		name   string
		mutate func(layout string)
		want   string
	}{
		{"layer", flip(m.Layers[0].Digest),
			"layer blob " + m.Layers[0].Digest.String() + ": digest mismatch"},
		{"config", flip(m.Config.Digest),
			"config blob " + m.Config.Digest.String() + ": digest mismatch"},
		{"manifest", flip(idx.Manifests[0].Digest),
			"manifest blob " + idx.Manifests[0].Digest.String() + ": digest mismatch"},
		{"manifest-size", func(layout string) {
			i := idx
			i.Manifests = []oci.Descriptor{idx.Manifests[0]}
			i.Manifests[0].Size++
			mustWrite(t, filepath.Join(layout, "index.json"), mustJSON(t, i))
		}, "size mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			layout := copyLayout(t, src)
			c.mutate(layout)
			s := newStore(t)
			for _, path := range []string{layout, tarLayout(t, layout, false)} {
				_, err := s.Import(path, ImportOptions{})
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Import = %v, want error containing %q", err, c.want)
				}
				t.Logf("refused: %v", err)
			}
			for _, d := range []string{s.layersDir(), s.blobDir(), s.imagesDir(), s.tmpDir()} {
				if n := entries(t, d); len(n) != 0 {
					t.Errorf("%s holds %v after a refused import", d, n)
				}
			}
		})
	}
}

func TestImportDiffIDMismatch(t *testing.T) {
	requireRoot(t)
	layout := newLayout(t)
	l := plainLayer(makeTar(t, fileEnt("a", "a")))
	l.diffID = sha([]byte("not the layer"))
	writeIndex(t, layout, addImage(t, layout, []testLayer{l}, nil))
	s := newStore(t)
	_, err := s.Import(layout, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "layer "+sha(l.blob).String()+": diff_id mismatch") {
		t.Fatalf("Import = %v, want a diff_id mismatch naming the layer", err)
	}
	for _, d := range []string{s.layersDir(), s.tmpDir(), s.imagesDir()} {
		if n := entries(t, d); len(n) != 0 {
			t.Errorf("%s holds %v", d, n)
		}
	}
}

func TestImportPlatforms(t *testing.T) {
	requireRoot(t)
	layer := plainLayer(makeTar(t, fileEnt("a", "a")))
	arm := func(c *oci.Image) { c.Architecture = "arm64" }
	armDesc := func(layout string) oci.Descriptor {
		d := addImage(t, layout, []testLayer{layer}, arm)
		d.Platform = &oci.Platform{OS: "linux", Architecture: "arm64"}
		return d
	}

	t.Run("no-amd64", func(t *testing.T) {
		layout := newLayout(t)
		writeIndex(t, layout, armDesc(layout))
		_, err := newStore(t).Import(layout, ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), "no linux/amd64 manifest (found: linux/arm64)") {
			t.Fatalf("Import = %v, want a no linux/amd64 error", err)
		}
	})
	t.Run("nested-index", func(t *testing.T) {
		layout := newLayout(t)
		amd := addImage(t, layout, []testLayer{layer}, nil)
		inner := oci.Index{MediaType: oci.MediaTypeImageIndex,
			Manifests: []oci.Descriptor{armDesc(layout), amd}}
		inner.SchemaVersion = 2
		d := addBlob(t, layout, oci.MediaTypeImageIndex, mustJSON(t, inner))
		writeIndex(t, layout, withRefName(d, "multi:1"))
		img, err := newStore(t).Import(layout, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if img.Config.Architecture != "amd64" || strings.Join(img.Names, ",") != "multi:1" {
			t.Errorf("got %s %v", img.Config.Architecture, img.Names)
		}
	})
	t.Run("config-arch", func(t *testing.T) {
		layout := newLayout(t)
		d := addImage(t, layout, []testLayer{layer}, arm)
		d.Platform = nil
		writeIndex(t, layout, d)
		_, err := newStore(t).Import(layout, ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), "image is for linux/arm64") {
			t.Fatalf("Import = %v, want the config's platform refused", err)
		}
	})
	t.Run("ref", func(t *testing.T) {
		layout := newLayout(t)
		one := withRefName(addImage(t, layout, []testLayer{layer}, nil), "3.20")
		two := withRefName(addImage(t, layout, []testLayer{layer},
			func(c *oci.Image) { c.Config.Cmd = []string{"two"} }), "app:two")
		writeIndex(t, layout, one, two)
		s := newStore(t)
		_, err := s.Import(layout, ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), "choose one") {
			t.Fatalf("Import without Ref = %v, want an ambiguity error", err)
		}
		img, err := s.Import(layout, ImportOptions{Ref: "3.20"})
		if err != nil {
			t.Fatal(err)
		}
		if len(img.Names) != 0 {
			t.Errorf("bare tag ref.name gave names %v, want untagged", img.Names)
		}
		img, err = s.Import(layout, ImportOptions{Ref: "app:two"})
		if err != nil || img.Config.Config.Cmd[0] != "two" || img.Names[0] != "app:two" {
			t.Fatalf("Import Ref app:two = %v, %v", img, err)
		}
	})
}

// storeState returns every file of the store (but tmp and the lock) with
// the sha256 of its content, and every unpacked layer directory.
func storeState(t *testing.T, s *Store) map[string]oci.Digest {
	t.Helper()
	state := map[string]oci.Digest{}
	for _, dir := range []string{s.blobDir(), s.imagesDir()} {
		for _, n := range entries(t, dir) {
			data, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			state[filepath.Join(dir, n)] = sha(data)
		}
	}
	for _, n := range entries(t, s.layersDir()) {
		state[filepath.Join(s.layersDir(), n)] = ""
	}
	data, _ := os.ReadFile(s.reposPath())
	state[s.reposPath()] = sha(data)
	return state
}

// TestImportVerifiesBlobsAlreadyInStore imports a corrupted copy of a layout
// into a store that holds the intact image: every blob of the source must
// still be hashed and sized, and the refused import must leave the store as
// it was. The store used to trust its own copy and import with success.
func TestImportVerifiesBlobsAlreadyInStore(t *testing.T) {
	requireRoot(t)
	src := testImage(t, "busybox-1.38-musl")
	var idx oci.Index
	readJSONFile(t, filepath.Join(src, "index.json"), &idx)
	var m oci.Manifest
	readJSONFile(t, blobFile(src, idx.Manifests[0].Digest), &m)
	edit := func(d oci.Digest, f func([]byte) []byte) func(string) {
		return func(layout string) {
			p := blobFile(layout, d)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p, f(data))
		}
	}
	flip := func(data []byte) []byte { data[len(data)/2] ^= 0xff; return data }
	layer, config, manifest := m.Layers[0].Digest, m.Config.Digest, idx.Manifests[0].Digest
	cases := []struct {
		name   string
		mutate func(layout string)
		want   string
	}{
		{"layer", edit(layer, flip), "layer blob " + layer.String() + ": digest mismatch"},
		{"layer-longer", edit(layer, func(b []byte) []byte { return append(b, 0) }),
			"layer blob " + layer.String() + ": size mismatch: more than"},
		{"layer-shorter", edit(layer, func(b []byte) []byte { return b[:len(b)-1] }),
			"layer blob " + layer.String() + ": digest mismatch"},
		{"config", edit(config, flip), "config blob " + config.String() + ": digest mismatch"},
		{"manifest", edit(manifest, flip), "manifest blob " + manifest.String() + ": digest mismatch"},
	}
	s := newStore(t)
	if _, err := s.Import(src, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before := storeState(t, s)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			layout := copyLayout(t, src)
			c.mutate(layout)
			for _, opts := range []ImportOptions{{}, {Name: "other:1"}, {NoTag: true}} {
				_, err := s.Import(layout, opts)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Import(%+v) = %v, want error containing %q", opts, err, c.want)
				}
			}
			if after := storeState(t, s); !maps.Equal(after, before) {
				t.Errorf("store changed by a refused import:\nbefore %v\nafter  %v", before, after)
			}
			if n := entries(t, s.tmpDir()); len(n) != 0 {
				t.Errorf("tmp holds %v", n)
			}
		})
	}
}

// TestImportNoTagNamesNothing: with NoTag the image gets neither the given
// nor the layout's name, and the tag the layout names stays where it was.
func TestImportNoTagNamesNothing(t *testing.T) {
	requireRoot(t)
	layer := plainLayer(makeTar(t, fileEnt("a", "a")))
	layout := newLayout(t)
	one := withRefName(addImage(t, layout, []testLayer{layer}, nil), "app:1")
	writeIndex(t, layout, one)
	s := newStore(t)
	first, err := s.Import(layout, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// Another image whose layout claims the same tag.
	other := newLayout(t)
	writeIndex(t, other, withRefName(addImage(t, other, []testLayer{layer},
		func(c *oci.Image) { c.Config.Cmd = []string{"two"} }), "app:1"))
	img, err := s.Import(other, ImportOptions{NoTag: true})
	if err != nil {
		t.Fatal(err)
	}
	if img.ID == first.ID || len(img.Names) != 0 {
		t.Errorf("NoTag import = %s %v, want a new untagged image", img.ID, img.Names)
	}
	if got, err := s.Get("app:1"); err != nil || got.ID != first.ID {
		t.Errorf("app:1 -> %v, %v; want it left on %s", got, err, first.ID)
	}
	// Re-importing a named image with NoTag keeps the name it has.
	again, err := s.Import(layout, ImportOptions{NoTag: true})
	if err != nil || strings.Join(again.Names, ",") != "app:1" {
		t.Errorf("NoTag re-import = %v, %v; want app:1 kept", again, err)
	}
	if _, err := s.Import(other, ImportOptions{NoTag: true, Name: "x"}); err == nil {
		t.Error("Import accepted NoTag together with Name")
	}
}

// TestImportRefMatchesTagOfRefName: Ref picks a manifest by its whole ref
// name first, else by the tag of a "name:tag" ref name; two such matches are
// an error listing both.
func TestImportRefMatchesTagOfRefName(t *testing.T) {
	requireRoot(t)
	layer := plainLayer(makeTar(t, fileEnt("a", "a")))
	layout := newLayout(t)
	img := func(cmd, ref string) oci.Descriptor {
		return withRefName(addImage(t, layout, []testLayer{layer},
			func(c *oci.Image) { c.Config.Cmd = []string{cmd} }), ref)
	}
	writeIndex(t, layout,
		img("alpine", "alpine:3.20.3"), img("bare", "3.20"), img("other", "other:3.20"),
		img("a", "a:1"), img("b", "b:1"))
	for _, c := range []struct{ ref, cmd, name string }{
		{"3.20.3", "alpine", "alpine:3.20.3"},
		{"alpine:3.20.3", "alpine", "alpine:3.20.3"},
		{"docker.io/library/alpine:3.20.3", "alpine", "alpine:3.20.3"},
		{"3.20", "bare", ""}, // the exact ref name wins over other:3.20
		{"other:3.20", "other", "other:3.20"},
	} {
		got, err := newStore(t).Import(layout, ImportOptions{Ref: c.ref})
		if err != nil {
			t.Errorf("Ref %q: %v", c.ref, err)
			continue
		}
		if got.Config.Config.Cmd[0] != c.cmd || strings.Join(got.Names, ",") != c.name {
			t.Errorf("Ref %q picked %s %v, want %s %q",
				c.ref, got.Config.Config.Cmd, got.Names, c.cmd, c.name)
		}
	}
	for ref, want := range map[string]string{
		"1":    `ref "1" matches 2 ref names (a:1, b:1)`,
		"3.21": `no manifest with ref name "3.21"`,
	} {
		if _, err := newStore(t).Import(layout, ImportOptions{Ref: ref}); err == nil ||
			!strings.Contains(err.Error(), want) {
			t.Errorf("Ref %q: %v, want an error containing %q", ref, err, want)
		}
	}
}

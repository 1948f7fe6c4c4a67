package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specv1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestTypesCoverImageSpec fails when image-spec has a field, here or in a
// later version, that these types lack or tag differently.
func TestTypesCoverImageSpec(t *testing.T) {
	pairs := []struct{ ours, spec any }{
		{ImageLayout{}, specv1.ImageLayout{}},
		{Descriptor{}, specv1.Descriptor{}},
		{Platform{}, specv1.Platform{}},
		{Index{}, specv1.Index{}},
		{Manifest{}, specv1.Manifest{}},
		{Image{}, specv1.Image{}},
		{ImageConfig{}, specv1.ImageConfig{}},
		{RootFS{}, specv1.RootFS{}},
		{History{}, specv1.History{}},
	}
	for _, p := range pairs {
		ours, spec := jsonFields(reflect.TypeOf(p.ours)), jsonFields(reflect.TypeOf(p.spec))
		for key, tag := range spec {
			if ours[key] != tag {
				t.Errorf("%T: field %q is %q here, %q in image-spec", p.ours, key, ours[key], tag)
			}
		}
		for key := range ours {
			if _, ok := spec[key]; !ok {
				t.Errorf("%T: field %q is not in image-spec", p.ours, key)
			}
		}
	}
}

// jsonFields maps each JSON key of a struct, embedded structs flattened,
// to its tag and Go kind.
func jsonFields(t reflect.Type) map[string]string {
	fields := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			for k, v := range jsonFields(f.Type) {
				fields[k] = v
			}
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		// An omitempty on a struct field changes nothing in the JSON.
		if f.Type.Kind() == reflect.Struct && opts == "omitempty" {
			opts = ""
		}
		fields[name] = opts + " " + f.Type.Kind().String()
	}
	return fields
}

// TestRealImagesEncodeAsImageSpec decodes every index, manifest and config
// of the test images with these types and with image-spec's, and checks
// that both encode them to the same JSON.
func TestRealImagesEncodeAsImageSpec(t *testing.T) {
	dir := os.Getenv("HUSK_TEST_IMAGES")
	if dir == "" {
		dir = "/work/shared/images"
	}
	layouts, _ := filepath.Glob(filepath.Join(dir, "*", "index.json"))
	if len(layouts) == 0 {
		t.Skipf("no test images in %s (set HUSK_TEST_IMAGES)", dir)
	}
	for _, index := range layouts {
		layout := filepath.Dir(index)
		var idx Index
		sameAsSpec[Index, specv1.Index](t, index, &idx)
		for _, m := range idx.Manifests {
			if m.MediaType != MediaTypeImageManifest {
				continue
			}
			var man Manifest
			sameAsSpec[Manifest, specv1.Manifest](t, blobPath(layout, m.Digest), &man)
			sameAsSpec[Image, specv1.Image](t, blobPath(layout, man.Config.Digest), new(Image))
		}
	}
}

func blobPath(layout string, d Digest) string {
	return filepath.Join(layout, "blobs", d.Algorithm().String(), d.Encoded())
}

// sameAsSpec decodes the document at path into ours and into a Spec, and
// fails t when the two encode differently.
func sameAsSpec[Ours, Spec any](t *testing.T, path string, ours *Ours) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec Spec
	if err := json.Unmarshal(data, ours); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatalf("%s: image-spec: %v", path, err)
	}
	a, _ := json.Marshal(ours)
	b, _ := json.Marshal(spec)
	if string(a) != string(b) {
		t.Errorf("%s encodes as\n%s\nhere, and as\n%s\nwith image-spec", path, a, b)
	}
}

package image

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/image/oci"
)

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                         "busybox:latest",
		"busybox:1.38":                    "busybox:1.38",
		"docker.io/library/alpine:3.20":   "alpine:3.20",
		"docker.io/user/app":              "user/app:latest",
		"localhost:5000/app":              "localhost:5000/app:latest",
		"registry.example.com:443/a/b:v1": "registry.example.com:443/a/b:v1",
		"my-app_x.y:tag_1.2-rc":           "my-app_x.y:tag_1.2-rc",
		"Upper":                           "",
		"a:b:c":                           "",
		"":                                "",
		"app:":                            "",
		"app:-bad":                        "",
		strings.Repeat("ab", 32):          "",
		strings.Repeat("ab", 32) + ":1":   "",
		"-app":                            "",
		"a//b":                            "",
	} {
		got, err := NormalizeName(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNameFromAnnotation(t *testing.T) {
	for in, want := range map[string]string{
		"alpine:3.20.3":                    "alpine:3.20.3",
		"3.20":                             "", // a bare tag is not a name
		"latest":                           "",
		"alpine":                           "",
		"docker.io/library/busybox:latest": "busybox:latest",
		"bad name:1":                       "",
	} {
		if got := nameFromAnnotation(in); got != want {
			t.Errorf("nameFromAnnotation(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPickPlatform(t *testing.T) {
	p := func(os, arch string) *oci.Platform { return &oci.Platform{OS: os, Architecture: arch} }
	d := func(n string, pl *oci.Platform) oci.Descriptor {
		return oci.Descriptor{Digest: oci.FromString(n), Platform: pl}
	}
	arm := d("arm", p("linux", "arm64"))
	got, err := pickPlatform([]oci.Descriptor{arm, d("none", nil), d("amd", p("linux", "amd64"))})
	if err != nil || got.Digest != oci.FromString("amd") {
		t.Errorf("explicit linux/amd64 must win: %v %v", got.Digest, err)
	}
	got, err = pickPlatform([]oci.Descriptor{arm, d("none", nil)})
	if err != nil || got.Digest != oci.FromString("none") {
		t.Errorf("platform-less entry must be the fallback: %v %v", got.Digest, err)
	}
	_, err = pickPlatform([]oci.Descriptor{arm, d("win", p("windows", "amd64"))})
	if err == nil || !strings.Contains(err.Error(), "found: linux/arm64, windows/amd64") {
		t.Errorf("err = %v, want the platforms found listed", err)
	}
}

func TestRootfsMount(t *testing.T) {
	s := &Store{root: "/s"}
	l := func(n string) oci.Digest { return oci.FromString(n) }
	img := &Image{Layers: []oci.Digest{l("bottom"), l("mid"), l("bottom"), l("top")}}
	m := s.RootfsMount(img, "/u", "/w")
	dir := func(n string) string { return "/s/layers/sha256/" + l(n).Encoded() }
	want := specs.Mount{Destination: "/", Type: "overlay", Source: "overlay", Options: []string{
		// top first; the repeated bottom layer is kept at its topmost place
		"lowerdir=" + dir("top") + ":" + dir("bottom") + ":" + dir("mid"),
		"upperdir=/u", "workdir=/w",
	}}
	if strings.Join(m.Options, ",") != strings.Join(want.Options, ",") || m.Type != want.Type ||
		m.Source != want.Source || m.Destination != want.Destination {
		t.Errorf("RootfsMount =\n%+v\nwant\n%+v", m, want)
	}
	if err := s.CheckMountSize(m); err != nil {
		t.Error(err)
	}
	if got := s.RootfsMount(img, "", ""); len(got.Options) != 1 {
		t.Errorf("read-only mount options %v, want lowerdir only", got.Options)
	}
	for i := range 60 {
		img.Layers = append(img.Layers, l(strings.Repeat("x", i)))
	}
	if err := s.CheckMountSize(s.RootfsMount(img, "/u", "/w")); err == nil {
		t.Error("CheckMountSize accepted more than a page of options")
	}
}

func TestOpenRefusesOverlaySeparators(t *testing.T) {
	for _, root := range []string{"/tmp/a:b", "/tmp/a,b"} {
		if _, err := Open(root); err == nil {
			t.Errorf("Open(%q) succeeded; overlay options could not name its layers", root)
		}
	}
}

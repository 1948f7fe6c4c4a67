package oci

import (
	"errors"
	"strings"
	"testing"

	godigest "github.com/opencontainers/go-digest"
)

const emptySHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestDigestParts(t *testing.T) {
	d := FromString("")
	if d != emptySHA256 {
		t.Fatalf("FromString(\"\") = %s, want %s", d, emptySHA256)
	}
	if d.Algorithm() != SHA256 || d.Encoded() != strings.TrimPrefix(emptySHA256, "sha256:") {
		t.Errorf("parts of %s: %q, %q", d, d.Algorithm(), d.Encoded())
	}
	if got := NewDigest(SHA256, d.Encoded()); got != d {
		t.Errorf("NewDigest = %s, want %s", got, d)
	}
	if Digest("nocolon").Algorithm() != "" || Digest("nocolon").Encoded() != "" {
		t.Error("a digest without a colon has parts")
	}

	dg := SHA256.Digester()
	dg.Hash().Write([]byte("layer"))
	if dg.Digest() != FromString("layer") {
		t.Errorf("Digester: %s, want %s", dg.Digest(), FromString("layer"))
	}
}

// TestValidateAgreesWithGoDigest checks Validate against go-digest, the
// library the image-spec types use, on good and bad digests of every kind.
// The one difference is deliberate: go-digest also knows sha384, which
// image-spec does not register.
func TestValidateAgreesWithGoDigest(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	hex128 := hex64 + hex64
	cases := []string{
		"sha256:" + hex64,
		"sha512:" + hex128,
		"sha256:" + strings.ToUpper(hex64),
		"sha256:" + hex64[:63],
		"sha256:" + hex64 + "0",
		"sha256:" + hex64[:63] + "g",
		"sha512:" + hex64,
		"sha256",
		"sha256:",
		":" + hex64,
		"SHA256:" + hex64,
		"md5:0123",
		"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
		"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
		"a..b:abc",
		"-sha:abc",
		"sha-:abc",
		"sha256:" + hex64 + "\n",
		"sha256:" + hex64 + ":" + hex64,
	}
	for _, s := range cases {
		ours := Digest(s).Validate()
		theirs := godigest.Digest(s).Validate()
		if (ours == nil) != (theirs == nil) {
			t.Errorf("Validate(%q) = %v; go-digest says %v", s, ours, theirs)
		}
	}

	sha384 := "sha384:" + strings.Repeat("0", 96)
	if err := Digest(sha384).Validate(); !errors.Is(err, ErrDigestAlgorithm) {
		t.Errorf("Validate(sha384) = %v, want ErrDigestAlgorithm", err)
	}
}

package oci

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Digest addresses content: "algorithm:encoded", as in
// "sha256:" followed by 64 lowercase hex digits.
type Digest string

// Algorithm is a digest's algorithm component.
type Algorithm string

// The algorithms image-spec registers.
const (
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
)

// hexLen is the encoded length of each registered algorithm's digests.
var hexLen = map[Algorithm]int{SHA256: 64, SHA512: 128}

var (
	// ErrDigestFormat means a digest is not "algorithm:encoded".
	ErrDigestFormat = errors.New("invalid digest format")
	// ErrDigestAlgorithm means a digest's algorithm is not registered.
	ErrDigestAlgorithm = errors.New("unsupported digest algorithm")
)

// NewDigest joins an algorithm and an encoded value.
func NewDigest(alg Algorithm, encoded string) Digest {
	return Digest(string(alg) + ":" + encoded)
}

// FromBytes is the sha256 digest of p.
func FromBytes(p []byte) Digest {
	sum := sha256.Sum256(p)
	return NewDigest(SHA256, hex.EncodeToString(sum[:]))
}

// FromString is the sha256 digest of s.
func FromString(s string) Digest { return FromBytes([]byte(s)) }

// Algorithm is the part before the colon, or "" without one.
func (d Digest) Algorithm() Algorithm {
	alg, _, ok := strings.Cut(string(d), ":")
	if !ok {
		return ""
	}
	return Algorithm(alg)
}

// Encoded is the part after the colon, or "" without one.
func (d Digest) Encoded() string {
	_, enc, _ := strings.Cut(string(d), ":")
	return enc
}

func (d Digest) String() string { return string(d) }

// Validate checks d against image-spec's digest grammar, and a registered
// algorithm's encoded part against its length and lowercase hex.
func (d Digest) Validate() error {
	alg, enc, ok := strings.Cut(string(d), ":")
	if !ok || !validAlgorithm(alg) || !validEncoded(enc) {
		return ErrDigestFormat
	}
	n, registered := hexLen[Algorithm(alg)]
	if !registered {
		return fmt.Errorf("%w %q", ErrDigestAlgorithm, alg)
	}
	if len(enc) != n || !IsHex(enc) {
		return fmt.Errorf("%w: %s wants %d lowercase hex digits", ErrDigestFormat, alg, n)
	}
	return nil
}

// validAlgorithm checks the grammar [a-z0-9]+ ([+._-] [a-z0-9]+)*:
// lowercase letters and digits, with single separators between them.
func validAlgorithm(s string) bool {
	afterSep := true // nothing may start with a separator
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			afterSep = false
		case c == '+' || c == '.' || c == '_' || c == '-':
			if afterSep {
				return false
			}
			afterSep = true
		default:
			return false
		}
	}
	return !afterSep // nor end with one; "" fails here too
}

// validEncoded checks the grammar [a-zA-Z0-9=_-]+.
func validEncoded(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '=' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// IsHex reports whether s is non-empty lowercase hex, the encoding of
// the registered algorithms' digests and of ids made from them.
func IsHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// String returns the algorithm's name.
func (a Algorithm) String() string { return string(a) }

// Digester hashes content written to Hash and names it by Digest.
type Digester struct {
	alg Algorithm
	h   hash.Hash
}

// Digester returns a fresh Digester for a registered algorithm; it panics
// for any other, as a program error.
func (a Algorithm) Digester() *Digester {
	switch a {
	case SHA256:
		return &Digester{alg: a, h: sha256.New()}
	case SHA512:
		return &Digester{alg: a, h: sha512.New()}
	}
	panic("oci: no digester for algorithm " + string(a))
}

// Hash is where the content goes.
func (d *Digester) Hash() hash.Hash { return d.h }

// Digest is the digest of what was written so far.
func (d *Digester) Digest() Digest {
	return NewDigest(d.alg, hex.EncodeToString(d.h.Sum(nil)))
}

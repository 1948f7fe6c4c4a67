package image

import (
	"math/rand"
	"regexp"
	"testing"

	"husk/image/oci"
)

// The loops must accept exactly what the distribution grammar's
// expressions accept; the expressions stay here as the reference.
var (
	refComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	refTag       = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	refHex       = regexp.MustCompile(`^[0-9a-f]+$`)
)

func TestNameLoopsMatchGrammar(t *testing.T) {
	fixed := []string{"", "a", "busybox", "a.b", "a..b", "a_b", "a__b", "a___b", "a-b", "a--b",
		"a-", "-a", ".a", "a.", "a._b", "a-_b", "A", "3.20.3", "_x", "x_", "latest", "v1.2-rc_3"}
	rng := rand.New(rand.NewSource(1))
	const alphabet = "ab09._-A:/"
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.Intn(9))
		for j := range b {
			b[j] = alphabet[rng.Intn(len(alphabet))]
		}
		fixed = append(fixed, string(b))
	}
	for _, s := range fixed {
		if got, want := validComponent(s), refComponent.MatchString(s); got != want {
			t.Errorf("validComponent(%q) = %v, grammar says %v", s, got, want)
		}
		if got, want := validTag(s), refTag.MatchString(s); got != want {
			t.Errorf("validTag(%q) = %v, grammar says %v", s, got, want)
		}
		if got, want := oci.IsHex(s), refHex.MatchString(s); got != want {
			t.Errorf("oci.IsHex(%q) = %v, grammar says %v", s, got, want)
		}
	}
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	if validTag(string(long)) || !validTag(string(long[:128])) {
		t.Error("validTag: 128 characters is the limit")
	}
}

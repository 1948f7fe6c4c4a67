package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// source is an image layout directory or archive being imported. Its files
// are named by slash-separated paths relative to its top.
type source interface {
	// readFile returns the small top-level file name (index.json,
	// manifest.json, oci-layout); a missing file gives an error wrapping
	// fs.ErrNotExist.
	readFile(name string) ([]byte, error)
	// blob makes sure the file name is in the blob store and returns the
	// digest and size of its content, whatever its name claims.
	blob(name string) (digest.Digest, int64, error)
}

// blobRef names a blob of a source and what it is expected to be.
type blobRef struct {
	kind   string // "layer", "config", "manifest" or "index", for messages
	member string
	want   digest.Digest // "" when the format records no digest
	size   int64         // -1 when the format records no size
}

// descRef returns the blobRef of an OCI descriptor, whose blob lives at
// blobs/<alg>/<hex> in a layout.
func descRef(kind string, d ocispec.Descriptor) (blobRef, error) {
	if err := d.Digest.Validate(); err != nil {
		return blobRef{}, fmt.Errorf("%s digest %q: %w", kind, d.Digest, err)
	}
	if d.Digest.Algorithm() != digest.SHA256 {
		return blobRef{}, fmt.Errorf("%s blob %s: unsupported digest algorithm", kind, d.Digest)
	}
	member := "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded()
	return blobRef{kind: kind, member: member, want: d.Digest, size: d.Size}, nil
}

// digestFromPath returns the digest a "blobs/sha256/<hex>" path names.
func digestFromPath(name string) (digest.Digest, bool) {
	hex, ok := strings.CutPrefix(name, "blobs/sha256/")
	if !ok || !isDigestHex(hex) {
		return "", false
	}
	return digest.NewDigestFromEncoded(digest.SHA256, hex), true
}

// fetch puts the blob b of src into the store and checks its digest and
// size against what the referring document says.
func (s *Store) fetch(src source, b blobRef) (digest.Digest, error) {
	label := b.kind + " blob " + b.want.String()
	if b.want == "" {
		label = fmt.Sprintf("%s blob %q", b.kind, b.member)
	}
	d, n, err := src.blob(b.member)
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	if b.want != "" && d != b.want {
		return "", fmt.Errorf("%s: digest mismatch: content hashes to %s", label, d)
	}
	if b.size >= 0 && n != b.size {
		return "", fmt.Errorf("%s: size mismatch: %d bytes, descriptor says %d", label, n, b.size)
	}
	return d, nil
}

// layoutDir is an OCI image layout, or an extracted docker save archive,
// on disk.
type layoutDir struct {
	s   *Store
	dir string
}

func (l layoutDir) readFile(name string) ([]byte, error) {
	f, err := os.Open(filepath.Join(l.dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readLimited(f)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", f.Name(), err)
	}
	return data, nil
}

func (l layoutDir) blob(name string) (digest.Digest, int64, error) {
	clean, err := cleanName(name)
	if err != nil {
		return "", 0, fmt.Errorf("file %q: %w", name, err)
	}
	// A blob already in the store was verified when it got there.
	if d, ok := digestFromPath(clean); ok {
		if n, err := l.s.blobSize(d); err == nil {
			return d, n, nil
		}
	}
	f, err := os.Open(filepath.Join(l.dir, filepath.FromSlash(clean)))
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return l.s.putBlob(f)
}

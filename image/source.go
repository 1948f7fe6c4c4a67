package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"husk/image/oci"
)

// source is an image layout directory or archive being imported. Its files
// are named by slash-separated paths relative to its top.
type source interface {
	// readFile returns the small top-level file name (index.json,
	// manifest.json, oci-layout); a missing file gives an error wrapping
	// fs.ErrNotExist.
	readFile(name string) ([]byte, error)
	// blob makes sure the blob b is in the blob store and returns its
	// digest. It fails when the content does not hash to b.want or is not
	// b.size bytes; such content is not kept in the store.
	blob(b blobRef) (oci.Digest, error)
}

// blobRef names a blob of a source and what it is expected to be.
type blobRef struct {
	kind   string // "layer", "config", "manifest" or "index", for messages
	member string
	want   oci.Digest // "" when the format records no digest
	size   int64      // -1 when the format records no size
}

// descRef returns the blobRef of an OCI descriptor, whose blob lives at
// blobs/<alg>/<hex> in a layout.
func descRef(kind string, d oci.Descriptor) (blobRef, error) {
	if err := d.Digest.Validate(); err != nil {
		return blobRef{}, fmt.Errorf("%s digest %q: %w", kind, d.Digest, err)
	}
	if d.Digest.Algorithm() != oci.SHA256 {
		return blobRef{}, fmt.Errorf("%s blob %s: unsupported digest algorithm", kind, d.Digest)
	}
	member := "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded()
	return blobRef{kind: kind, member: member, want: d.Digest, size: d.Size}, nil
}

// digestFromPath returns the digest a "blobs/sha256/<hex>" path names.
func digestFromPath(name string) (oci.Digest, bool) {
	hex, ok := strings.CutPrefix(name, "blobs/sha256/")
	if !ok || !isDigestHex(hex) {
		return "", false
	}
	return oci.NewDigest(oci.SHA256, hex), true
}

// fetch puts the blob b of src into the store, verified against what the
// referring document says, and returns its digest.
func (s *Store) fetch(src source, b blobRef) (oci.Digest, error) {
	d, err := src.blob(b)
	if err != nil {
		if b.want == "" {
			return "", fmt.Errorf("%s blob %q: %w", b.kind, b.member, err)
		}
		return "", fmt.Errorf("%s blob %s: %w", b.kind, b.want, err)
	}
	return d, nil
}

// check compares the digest and size a blob's content has with what b
// expects.
func (b blobRef) check(d oci.Digest, n int64) error {
	if b.want != "" && d != b.want {
		return fmt.Errorf("digest mismatch: content hashes to %s", d)
	}
	if b.size >= 0 && n != b.size {
		return fmt.Errorf("size mismatch: %d bytes, descriptor says %d", n, b.size)
	}
	return nil
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

// blob hashes the layout's file every time, even when the store already
// holds a blob of the expected digest: a corrupted layout must not import
// just because an earlier, intact copy of the image did
// (TestImportVerifiesBlobsAlreadyInStore).
func (l layoutDir) blob(b blobRef) (oci.Digest, error) {
	clean, err := cleanName(b.member)
	if err != nil {
		return "", fmt.Errorf("file %q: %w", b.member, err)
	}
	f, err := os.Open(filepath.Join(l.dir, filepath.FromSlash(clean)))
	if err != nil {
		return "", err
	}
	defer f.Close()
	d, _, err := l.s.putBlob(f, b)
	return d, err
}

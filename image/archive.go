package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"husk/image/oci"
)

// maxLinkHops bounds symlink chains between archive members.
const maxLinkHops = 16

// archive is an OCI archive or docker save archive, possibly compressed.
// It is read once, as a stream: every regular member goes straight into the
// blob store under the digest of its content, and index.json, manifest.json
// and the blobs are then read back from the store. Nothing is extracted to
// a temp tree. Members the image does not use are collected as garbage at
// the end of the import.
type archive struct {
	s       *Store
	members map[string]archiveMember
	links   map[string]string // symlink member -> target member
}

type archiveMember struct {
	digest oci.Digest
	size   int64
}

// readArchive streams the archive at p into the blob store.
func (s *Store) readArchive(p string) (*archive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := Decompress(f)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	a := &archive{s: s, members: map[string]archiveMember{}, links: map[string]string{}}
	tr := tar.NewReader(zr)
	for first := true; ; first = false {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) && !first {
			return a, nil
		}
		if err != nil && first {
			// Not even one tar header: the file is something else.
			return nil, fmt.Errorf("not an image layout or archive (a tar, gzip or zstd): %w", err)
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if err := a.add(hdr, tr); err != nil {
			return nil, fmt.Errorf("archive member %q: %w", hdr.Name, err)
		}
	}
}

func (a *archive) add(hdr *tar.Header, r io.Reader) error {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg:
		d, n, err := a.s.putBlob(r, anyBlob)
		if err != nil {
			return err
		}
		a.members[name] = archiveMember{d, n}
	case tar.TypeLink:
		target, err := cleanName(hdr.Linkname)
		if err != nil {
			return fmt.Errorf("link target %q: %w", hdr.Linkname, err)
		}
		if m, ok := a.members[target]; ok {
			a.members[name] = m
		}
	case tar.TypeSymlink:
		// Older docker save archives link identical layers to one another
		// ("<id>/layer.tar -> ../<other>/layer.tar").
		a.links[name] = path.Join(path.Dir(name), hdr.Linkname)
	}
	return nil
}

// lookup finds member name, following symlink members.
func (a *archive) lookup(name string) (archiveMember, error) {
	for range maxLinkHops {
		clean, err := cleanName(name)
		if err != nil {
			return archiveMember{}, fmt.Errorf("archive member %q: %w", name, err)
		}
		if m, ok := a.members[clean]; ok {
			return m, nil
		}
		target, ok := a.links[clean]
		if !ok {
			return archiveMember{}, fmt.Errorf("archive member %q: %w", name, fs.ErrNotExist)
		}
		name = target
	}
	return archiveMember{}, fmt.Errorf("archive member %q: too many levels of symlinks", name)
}

func (a *archive) readFile(name string) ([]byte, error) {
	m, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	return a.s.readBlob(m.digest)
}

// blob checks the member, which reading the archive already put into the
// store; a member that fails the check is collected as garbage at the end of
// the import.
func (a *archive) blob(b blobRef) (oci.Digest, error) {
	m, err := a.lookup(b.member)
	if err != nil {
		return "", err
	}
	if err := b.check(m.digest, m.size); err != nil {
		return "", err
	}
	return m.digest, nil
}

package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"husk/image/oci"
	"husk/internal/fsutil"
)

// maxMetadataSize bounds the JSON documents (index, manifest, config,
// manifest.json) the store reads into memory.
const maxMetadataSize = 16 << 20

// putBlob copies r into the blob store under the sha256 of its content and
// returns that digest and the size. The content is hashed as it is read and
// checked against b (whose want and size may be unset) before anything
// reaches the store, so a mismatch leaves the store as it was. The data goes
// to a temp file in root/tmp first and is renamed into place only once
// complete, verified and synced; when the store already has b.want, the
// content is only hashed.
func (s *Store) putBlob(r io.Reader, b blobRef) (oci.Digest, int64, error) {
	if b.size >= 0 {
		// The descriptor bounds the read: a layout blob that is, say, a
		// symlink to /dev/zero must not be hashed forever.
		r = io.LimitReader(r, b.size+1)
	}
	if b.want != "" {
		if _, err := os.Lstat(s.blobPath(b.want)); err == nil {
			return hashBlob(r, b)
		}
	}
	f, err := os.CreateTemp(s.tmpDir(), "blob-")
	if err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	d, n, err := hashBlob(io.TeeReader(r, f), b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	if _, err := os.Lstat(s.blobPath(d)); err == nil {
		return d, n, nil
	}
	if err := os.Chmod(tmp, 0o444); err != nil {
		return "", 0, fmt.Errorf("store blob %s: %w", d, err)
	}
	if err := os.Rename(tmp, s.blobPath(d)); err != nil {
		return "", 0, fmt.Errorf("store blob %s: %w", d, err)
	}
	return d, n, nil
}

// anyBlob is the blobRef of content that has no expected digest or size.
var anyBlob = blobRef{size: -1}

// hashBlob reads r to the end and returns the sha256 and length of what it
// read, or an error when they do not match b. r is limited to b.size+1
// bytes when b.size is set, so more than b.size bytes means a longer blob.
func hashBlob(r io.Reader, b blobRef) (oci.Digest, int64, error) {
	dg := oci.SHA256.Digester()
	n, err := io.Copy(dg.Hash(), r)
	if err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	if b.size >= 0 && n > b.size {
		return "", 0, fmt.Errorf("size mismatch: more than %d bytes, descriptor says %d",
			b.size, b.size)
	}
	d := dg.Digest()
	if err := b.check(d, n); err != nil {
		return "", 0, err
	}
	return d, n, nil
}

// readBlob returns the content of a stored blob of at most maxMetadataSize
// bytes.
func (s *Store) readBlob(d oci.Digest) ([]byte, error) {
	f, err := os.Open(s.blobPath(d))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	defer f.Close()
	data, err := readLimited(f)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return data, nil
}

// readLimited reads all of r, refusing more than maxMetadataSize bytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMetadataSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxMetadataSize {
		return nil, fmt.Errorf("larger than %d bytes", maxMetadataSize)
	}
	return data, nil
}

// writeJSON marshals v and writes it to path atomically.
func (s *Store) writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	return fsutil.WriteFile(path, append(data, '\n'), 0o644, true)
}

// readJSON unmarshals the file at path into v. A missing file is reported
// with an error wrapping fs.ErrNotExist.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := readLimited(f)
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		return fmt.Errorf("read %q: %w", path, err)
	}
	return nil
}

// isNotExist reports whether err says a file is missing, through wrapping.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

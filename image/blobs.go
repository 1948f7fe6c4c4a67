package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	digest "github.com/opencontainers/go-digest"

	"husk/internal/fsutil"
)

// maxMetadataSize bounds the JSON documents (index, manifest, config,
// manifest.json) the store reads into memory.
const maxMetadataSize = 16 << 20

// putBlob copies r into the blob store under the sha256 of its content and
// returns that digest and the size. The data goes to a temp file in root/tmp
// first and is renamed into place only once complete and synced.
func (s *Store) putBlob(r io.Reader) (digest.Digest, int64, error) {
	f, err := os.CreateTemp(s.tmpDir(), "blob-")
	if err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	dg := digest.SHA256.Digester()
	n, err := io.Copy(io.MultiWriter(f, dg.Hash()), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	d := dg.Digest()
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

// blobSize reports the size of a stored blob, or an error wrapping
// fs.ErrNotExist when the store does not have it.
func (s *Store) blobSize(d digest.Digest) (int64, error) {
	fi, err := os.Stat(s.blobPath(d))
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// readBlob returns the content of a stored blob of at most maxMetadataSize
// bytes.
func (s *Store) readBlob(d digest.Digest) ([]byte, error) {
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

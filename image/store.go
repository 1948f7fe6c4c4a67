package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"husk/image/oci"
	"husk/internal/fsutil"
)

// ErrNotFound is returned (wrapped, with the reference in the message) when an
// image reference matches no image.
var ErrNotFound = errors.New("not found")

// Store is a content-addressed image store rooted at one directory. It is
// safe for concurrent use by goroutines and by processes sharing the root:
// mutations take an exclusive flock(2) on root/lock, reads a shared one.
type Store struct {
	root string
}

// Image describes one stored image.
type Image struct {
	// ID is the digest of the image config.
	ID oci.Digest
	// Names lists the "name:tag" references pointing at the image, sorted.
	Names []string
	// Created is the config's creation time, or the import time when the
	// config has none.
	Created time.Time
	// Size is the sum of the unpacked layer sizes in bytes.
	Size int64
	// Config is the parsed image config.
	Config oci.Image
	// Layers lists the layer diff_ids, bottom layer first.
	Layers []oci.Digest
}

// record is the on-disk form of an Image in root/images/<id-hex>.json. Names
// live in repositories.json only, so there is one source of truth for them.
type record struct {
	ID       oci.Digest   `json:"id"`
	Manifest oci.Digest   `json:"manifest,omitempty"`
	Created  time.Time    `json:"created"`
	Size     int64        `json:"size"`
	Config   oci.Image    `json:"config"`
	Layers   []oci.Digest `json:"layers"`
	Blobs    []oci.Digest `json:"blobs"`
}

// Open opens the store at root, creating root/{blobs/sha256,layers/sha256,
// images,tmp} as needed. root is made absolute; it must not contain ',' or
// ':' because layer paths end up in overlay mount options.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open image store %q: %w", root, err)
	}
	if strings.ContainsAny(abs, ",:\\") {
		return nil, fmt.Errorf("open image store %q: path must not contain ',', ':' or '\\'", abs)
	}
	s := &Store{root: abs}
	for _, d := range []string{s.blobDir(), s.layersDir(), s.imagesDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open image store %q: %w", abs, err)
		}
	}
	if err := os.MkdirAll(s.tmpDir(), 0o700); err != nil {
		return nil, fmt.Errorf("open image store %q: %w", abs, err)
	}
	return s, nil
}

// Root returns the absolute root directory of the store.
func (s *Store) Root() string { return s.root }

func (s *Store) blobDir() string   { return filepath.Join(s.root, "blobs", "sha256") }
func (s *Store) layersDir() string { return filepath.Join(s.root, "layers", "sha256") }
func (s *Store) imagesDir() string { return filepath.Join(s.root, "images") }
func (s *Store) tmpDir() string    { return filepath.Join(s.root, "tmp") }
func (s *Store) reposPath() string { return filepath.Join(s.root, "repositories.json") }
func (s *Store) lockPath() string  { return filepath.Join(s.root, "lock") }
func (s *Store) blobPath(d oci.Digest) string {
	return filepath.Join(s.blobDir(), d.Encoded())
}

func (s *Store) layerPath(diffID oci.Digest) string {
	return filepath.Join(s.layersDir(), diffID.Encoded())
}

func (s *Store) recordPath(id oci.Digest) string {
	return filepath.Join(s.imagesDir(), id.Encoded()+".json")
}

// LayerDirs returns the absolute unpacked layer directories of img, bottom
// layer first.
func (s *Store) LayerDirs(img *Image) []string {
	dirs := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		dirs[i] = s.layerPath(l)
	}
	return dirs
}

// lock takes root/lock shared or exclusive and returns the function that
// releases it. Taking it exclusive also empties root/tmp: every writer of tmp
// holds the exclusive lock, so whatever is there was left by a crash.
func (s *Store) lock(exclusive bool) (func(), error) {
	unlock, err := fsutil.Lock(s.lockPath(), exclusive)
	if err != nil {
		return nil, fmt.Errorf("lock image store: %w", err)
	}
	if exclusive {
		if err := s.cleanTmp(); err != nil {
			unlock()
			return nil, err
		}
	}
	return unlock, nil
}

func (s *Store) cleanTmp() error {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return fmt.Errorf("clean image store tmp: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return fmt.Errorf("clean image store tmp: %w", err)
		}
	}
	return nil
}

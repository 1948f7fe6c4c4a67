package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"husk/image/oci"
)

// gc deletes every blob and unpacked layer that no image record references.
// The caller holds the exclusive lock. A record that cannot be read stops
// the collection: deleting on a partial view could orphan a live image.
func (s *Store) gc() error {
	ids, err := s.recordIDs()
	if err != nil {
		return err
	}
	blobs := map[string]bool{}
	layers := map[string]bool{}
	images := map[string]bool{}
	for _, id := range ids {
		images[id.Encoded()] = true
		rec, err := s.loadRecord(id)
		if err != nil {
			return fmt.Errorf("collect garbage: %w", err)
		}
		for _, d := range append([]oci.Digest{rec.ID, rec.Manifest}, rec.Blobs...) {
			if d != "" {
				blobs[d.Encoded()] = true
			}
		}
		for _, d := range rec.Layers {
			layers[d.Encoded()] = true
		}
	}
	if err := sweep(s.blobDir(), blobs); err != nil {
		return err
	}
	if err := sweep(s.layersDir(), layers); err != nil {
		return err
	}
	return s.sweepTargets(images)
}

// sweepTargets removes the mount-target directories (MountTargets) of
// images that are gone, and half-built ones: with the exclusive lock held,
// nobody is building one.
func (s *Store) sweepTargets(images map[string]bool) error {
	entries, err := os.ReadDir(s.targetsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("collect garbage: %w", err)
	}
	for _, e := range entries {
		image, _, _ := strings.Cut(e.Name(), "-")
		if images[image] {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.targetsDir(), e.Name())); err != nil {
			return fmt.Errorf("collect garbage: %w", err)
		}
	}
	return nil
}

// sweep removes the entries of dir named as a sha256 hex digest that are
// not in keep. Other names are left alone: the store never creates them.
func sweep(dir string, keep map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("collect garbage: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if keep[name] || !isDigestHex(name) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("collect garbage: %w", err)
		}
	}
	return nil
}

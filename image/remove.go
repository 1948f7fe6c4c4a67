package image

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"husk/image/oci"
)

// RemoveOptions modify Remove.
type RemoveOptions struct {
	// Force lets an image ID remove an image that has several names: all
	// of them go, and the image with them.
	Force bool
}

// RemoveResult says what Remove did.
type RemoveResult struct {
	// ID is the image the reference resolved to.
	ID oci.Digest
	// Untagged lists the names removed, sorted.
	Untagged []string
	// Deleted reports whether the image record was deleted, because the
	// image was left without names.
	Deleted bool
	// Layers lists the diff_ids of the unpacked layers deleted with the
	// image: those no other image uses.
	Layers []oci.Digest
}

// Remove untags ref when it is a name. When ref is an ID (full or prefix) it
// removes the image with its names, but refuses an image with more than one
// name unless opts.Force is set: an ID naming several tags is more likely a
// slip than a wish to drop them all. An image left without names loses its
// record, and the layers and blobs no other image uses are deleted. The
// caller must make sure no container still has those layers mounted.
func (s *Store) Remove(ref string, opts RemoveOptions) (*RemoveResult, error) {
	unlock, err := s.lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	res, err := s.untag(r, ref, opts.Force)
	if err != nil {
		return nil, err
	}
	// The record says which layers may go with the image; read it before
	// anything changes. A name left pointing at a missing record is still
	// removed.
	rec, err := s.loadRecord(res.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("remove image %q: %w", ref, err)
	}
	if len(res.Untagged) > 0 {
		if err := s.saveRepos(r); err != nil {
			return nil, fmt.Errorf("remove image %q: %w", ref, err)
		}
	}
	if rec == nil || len(r.namesOf(res.ID)) > 0 {
		return res, nil
	}
	if err := os.Remove(s.recordPath(res.ID)); err != nil {
		return nil, fmt.Errorf("remove image %q: %w", ref, err)
	}
	res.Deleted = true
	if err := s.gc(); err != nil {
		return nil, fmt.Errorf("remove image %q: %w", ref, err)
	}
	for _, l := range rec.Layers {
		_, err := os.Lstat(s.layerPath(l))
		if isNotExist(err) && !slices.Contains(res.Layers, l) {
			res.Layers = append(res.Layers, l)
		}
	}
	return res, nil
}

// untag deletes ref from r when it is a name, or every name of the image
// when ref is an ID; an ID of an image with several names needs force.
func (s *Store) untag(r repos, ref string, force bool) (*RemoveResult, error) {
	if name, err := NormalizeName(ref); err == nil {
		if id, ok := r[name]; ok {
			delete(r, name)
			return &RemoveResult{ID: id, Untagged: []string{name}}, nil
		}
	}
	id, err := s.resolve(r, ref)
	if err != nil {
		return nil, err
	}
	names := r.namesOf(id)
	if len(names) > 1 && !force {
		return nil, fmt.Errorf("image %q is referenced by %d names (%s): remove them by name, or force",
			ref, len(names), strings.Join(names, ", "))
	}
	for _, n := range names {
		delete(r, n)
	}
	return &RemoveResult{ID: id, Untagged: names}, nil
}

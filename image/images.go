package image

import (
	"fmt"
	"os"
	"sort"

	digest "github.com/opencontainers/go-digest"
)

// Get returns the image ref names: "name[:tag]" (tag defaults to latest), a
// full "sha256:<hex>" ID, or a unique ID prefix of at least 4 hex digits. It
// returns an error wrapping ErrNotFound when nothing matches.
func (s *Store) Get(ref string) (*Image, error) {
	unlock, err := s.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	id, err := s.resolve(r, ref)
	if err != nil {
		return nil, err
	}
	return s.loadImage(r, id)
}

// List returns every stored image, newest first.
func (s *Store) List() ([]*Image, error) {
	unlock, err := s.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	ids, err := s.recordIDs()
	if err != nil {
		return nil, err
	}
	imgs := make([]*Image, 0, len(ids))
	for _, id := range ids {
		img, err := s.loadImage(r, id)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	sort.Slice(imgs, func(i, j int) bool {
		if !imgs[i].Created.Equal(imgs[j].Created) {
			return imgs[i].Created.After(imgs[j].Created)
		}
		return imgs[i].ID < imgs[j].ID
	})
	return imgs, nil
}

// Remove untags ref when it is a name; when it is an ID (full or prefix) it
// drops every name of that image. An image left without names loses its
// record, and the layers and blobs no other image uses are deleted. The
// caller must make sure no container still has those layers mounted.
func (s *Store) Remove(ref string) error {
	unlock, err := s.lock(true)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.loadRepos()
	if err != nil {
		return err
	}
	id, err := s.untag(r, ref)
	if err != nil {
		return err
	}
	if err := s.saveRepos(r); err != nil {
		return fmt.Errorf("remove image %q: %w", ref, err)
	}
	if len(r.namesOf(id)) > 0 {
		return nil
	}
	if err := os.Remove(s.recordPath(id)); err != nil && !isNotExist(err) {
		return fmt.Errorf("remove image %q: %w", ref, err)
	}
	if err := s.gc(); err != nil {
		return fmt.Errorf("remove image %q: %w", ref, err)
	}
	return nil
}

// untag deletes ref from r when it is a name, or every name of the image when
// ref is an ID, and returns the image ID.
func (s *Store) untag(r repos, ref string) (digest.Digest, error) {
	if name, err := NormalizeName(ref); err == nil {
		if id, ok := r[name]; ok {
			delete(r, name)
			return id, nil
		}
	}
	id, err := s.resolve(r, ref)
	if err != nil {
		return "", err
	}
	for _, n := range r.namesOf(id) {
		delete(r, n)
	}
	return id, nil
}

func (s *Store) loadRecord(id digest.Digest) (*record, error) {
	var rec record
	if err := readJSON(s.recordPath(id), &rec); err != nil {
		if isNotExist(err) {
			return nil, fmt.Errorf("image %s: %w", id, ErrNotFound)
		}
		return nil, err
	}
	return &rec, nil
}

func (s *Store) loadImage(r repos, id digest.Digest) (*Image, error) {
	rec, err := s.loadRecord(id)
	if err != nil {
		return nil, err
	}
	return &Image{
		ID:      rec.ID,
		Names:   r.namesOf(rec.ID),
		Created: rec.Created,
		Size:    rec.Size,
		Config:  rec.Config,
		Layers:  rec.Layers,
	}, nil
}

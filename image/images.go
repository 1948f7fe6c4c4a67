package image

import (
	"fmt"
	"sort"

	"husk/image/oci"
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

func (s *Store) loadRecord(id oci.Digest) (*record, error) {
	var rec record
	if err := readJSON(s.recordPath(id), &rec); err != nil {
		if isNotExist(err) {
			return nil, fmt.Errorf("image %s: %w", id, ErrNotFound)
		}
		return nil, err
	}
	return &rec, nil
}

func (s *Store) loadImage(r repos, id oci.Digest) (*Image, error) {
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

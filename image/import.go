package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"husk/image/oci"
)

// ImportOptions select and name the image to import.
type ImportOptions struct {
	// Ref picks a manifest of an OCI layout by its
	// org.opencontainers.image.ref.name annotation: one whose ref name is
	// Ref wins, else one whose ref name has the tag Ref ("3.20.3" picks
	// "alpine:3.20.3") or the normalized name Ref; two ref names matching
	// that way are an error listing them. Of a docker save archive, Ref
	// picks the image by its tag. "" picks the only image, or the
	// linux/amd64 one of an index.
	Ref string
	// Name tags the image, "name[:tag]". "" uses the source's own name:
	// a ref.name annotation spelling "name:tag" (a bare tag such as "3.20"
	// is not a name) or docker's first RepoTag. Without one the image is
	// stored untagged and reachable by ID only.
	Name string
	// NoTag imports the image without naming it: neither Name (which must
	// then be "") nor the source's own name is given to it, and no tag in
	// the store moves. Names the image already had are kept. Running a
	// layout directly uses it, so that a run never re-tags stored images.
	NoTag bool
}

// Import copies the image at path into the store and returns it. path is an
// OCI image layout directory, an OCI archive (a tar of a layout) or a docker
// save archive; archives may be gzip- or zstd-compressed. Every blob is
// verified against its digest and size and every layer against its diff_id;
// layers already in the store are not unpacked again. A name the image takes
// is removed from the image that had it before, which stays in the store
// untagged; with opts.NoTag no name is given or moved. Blobs of the source
// that the image does not use are not kept.
func (s *Store) Import(path string, opts ImportOptions) (*Image, error) {
	img, err := s.importImage(path, opts)
	if err != nil {
		return nil, fmt.Errorf("import %q: %w", path, err)
	}
	return img, nil
}

func (s *Store) importImage(path string, opts ImportOptions) (*Image, error) {
	var name string
	if opts.NoTag && opts.Name != "" {
		return nil, fmt.Errorf("image name %q: NoTag asks for no name", opts.Name)
	}
	if opts.Name != "" {
		n, err := NormalizeName(opts.Name)
		if err != nil {
			return nil, err
		}
		name = n
	}
	unlock, err := s.lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Archives put all their members into the blob store, and a failed
	// import may leave some behind: collect them either way.
	defer func() {
		if err := s.gc(); err != nil {
			slog.Warn("image store: collect garbage after import", "path", s.root, "err", err)
		}
	}()
	src, err := s.openSource(path)
	if err != nil {
		return nil, err
	}
	ref, err := s.selectImage(src, opts.Ref)
	if err != nil {
		return nil, err
	}
	rec, err := s.materialize(src, ref)
	if err != nil {
		return nil, err
	}
	if name == "" && !opts.NoTag {
		name = ref.name
	}
	return s.commit(rec, name)
}

func (s *Store) openSource(path string) (source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		return layoutDir{s: s, dir: path}, nil
	case fi.Mode().IsRegular():
		return s.readArchive(path)
	}
	return nil, errors.New("not a directory or a regular file")
}

// selectImage finds the image in src: OCI when there is an index.json
// (newer docker save archives have one too), else docker's manifest.json.
func (s *Store) selectImage(src source, ref string) (imageRef, error) {
	data, err := src.readFile("index.json")
	if err == nil {
		return s.ociImage(src, data, ref)
	}
	if !isNotExist(err) {
		return imageRef{}, err
	}
	data, err = src.readFile("manifest.json")
	if err == nil {
		return dockerImage(data, ref)
	}
	if isNotExist(err) {
		return imageRef{}, errors.New("no index.json or manifest.json: not an image layout or archive")
	}
	return imageRef{}, err
}

// materialize fetches the config and layers of ref into the store and
// unpacks the layers it does not have yet.
func (s *Store) materialize(src source, ref imageRef) (*record, error) {
	id, err := s.fetch(src, ref.config)
	if err != nil {
		return nil, err
	}
	cfg, err := s.readConfig(id, len(ref.layers))
	if err != nil {
		return nil, err
	}
	rec := &record{ID: id, Manifest: ref.manifest, Config: cfg, Layers: cfg.RootFS.DiffIDs}
	for i, l := range ref.layers {
		blob, err := s.fetch(src, l)
		if err != nil {
			return nil, err
		}
		diffID := cfg.RootFS.DiffIDs[i]
		if err := s.ensureLayer(blob, diffID); err != nil {
			return nil, fmt.Errorf("layer %s: %w", blob, err)
		}
		size, err := dirSize(s.layerPath(diffID))
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", blob, err)
		}
		rec.Blobs = append(rec.Blobs, blob)
		rec.Size += size
	}
	rec.Created = time.Now().UTC()
	if cfg.Created != nil {
		rec.Created = *cfg.Created
	}
	return rec, nil
}

// readConfig decodes the config blob id and checks it describes a
// linux/amd64 image with nLayers sha256 diff_ids.
func (s *Store) readConfig(id oci.Digest, nLayers int) (oci.Image, error) {
	var cfg oci.Image
	data, err := s.readBlob(id)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("config %s: %w", id, err)
	}
	if (cfg.OS != "" || cfg.Architecture != "") && !isLinuxAmd64(&cfg.Platform) {
		return cfg, fmt.Errorf("config %s: image is for %s/%s, not linux/amd64",
			id, cfg.OS, cfg.Architecture)
	}
	if n := len(cfg.RootFS.DiffIDs); n != nLayers {
		return cfg, fmt.Errorf("config %s: %d diff_ids for %d layers", id, n, nLayers)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		if err := d.Validate(); err != nil || d.Algorithm() != oci.SHA256 {
			return cfg, fmt.Errorf("config %s: diff_id %q: not a sha256 digest", id, d)
		}
	}
	return cfg, nil
}

// commit writes the image record, then points name (if any) at it.
func (s *Store) commit(rec *record, name string) (*Image, error) {
	if err := s.writeJSON(s.recordPath(rec.ID), rec); err != nil {
		return nil, err
	}
	r, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	if name != "" && r[name] != rec.ID {
		r[name] = rec.ID
		if err := s.saveRepos(r); err != nil {
			return nil, err
		}
	}
	return s.loadImage(r, rec.ID)
}

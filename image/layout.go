package image

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"husk/image/oci"
)

const (
	// maxIndexDepth bounds index -> index nesting.
	maxIndexDepth = 4
	// containerdNameAnnotation carries the full name in docker save (25+)
	// archives, whose ref.name holds the bare tag.
	containerdNameAnnotation = "io.containerd.image.name"

	dockerManifestType = "application/vnd.docker.distribution.manifest.v2+json"
	dockerListType     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// imageRef is the image chosen in a source: where its blobs are and the
// name the source gives it.
type imageRef struct {
	manifest oci.Digest // "" for docker save's manifest.json
	config   blobRef
	layers   []blobRef
	name     string // normalized "name:tag" or ""
}

// ociImage picks the image of an OCI layout or archive whose index.json is
// index: by ref.name when ref is set, else the only or the linux/amd64 one,
// descending nested indexes.
func (s *Store) ociImage(src source, index []byte, ref string) (imageRef, error) {
	if err := checkLayoutVersion(src); err != nil {
		return imageRef{}, err
	}
	var idx oci.Index
	if err := json.Unmarshal(index, &idx); err != nil {
		return imageRef{}, fmt.Errorf("index.json: %w", err)
	}
	cands, err := byRefName(idx.Manifests, ref)
	if err != nil {
		return imageRef{}, fmt.Errorf("index.json: %w", err)
	}
	top, err := pickTop(cands, ref)
	if err != nil {
		return imageRef{}, fmt.Errorf("index.json: %w", err)
	}
	desc, err := s.resolveIndex(src, top, 0)
	if err != nil {
		return imageRef{}, err
	}
	ir, err := s.readManifest(src, desc)
	ir.name = nameOf(top.Annotations)
	return ir, err
}

func checkLayoutVersion(src source) error {
	data, err := src.readFile(oci.ImageLayoutFile)
	if isNotExist(err) {
		return nil // required by the spec, but its absence is harmless
	}
	var l oci.ImageLayout
	if err == nil {
		err = json.Unmarshal(data, &l)
	}
	if err == nil && l.Version != oci.ImageLayoutVersion {
		err = fmt.Errorf("unsupported version %q", l.Version)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", oci.ImageLayoutFile, err)
	}
	return nil
}

// byRefName keeps the descriptors ref selects; all when ref is "". A
// descriptor whose ref.name annotation is ref wins. Failing that, ref
// matches the tag of a "name:tag" ref.name ("3.20.3" matches
// "alpine:3.20.3") or, normalized, the name the annotations give; those
// matches must agree on one ref name. Several descriptors under one ref
// name (one per platform) are all kept for pickTop.
func byRefName(descs []oci.Descriptor, ref string) ([]oci.Descriptor, error) {
	if ref == "" {
		return descs, nil
	}
	var exact, loose []oci.Descriptor
	var names []string // distinct ref names of loose
	want, _ := NormalizeName(ref)
	for _, d := range descs {
		v := d.Annotations[oci.AnnotationRefName]
		if v == ref {
			exact = append(exact, d)
			continue
		}
		_, tag, hasTag := SplitTag(v)
		if (hasTag && tag == ref) || (want != "" && nameOf(d.Annotations) == want) {
			loose = append(loose, d)
			if label := refLabel(d.Annotations); !slices.Contains(names, label) {
				names = append(names, label)
			}
		}
	}
	switch {
	case len(exact) > 0:
		return exact, nil
	case len(loose) == 0:
		return nil, fmt.Errorf("no manifest with ref name %q", ref)
	case len(names) > 1:
		return nil, fmt.Errorf("ref %q matches %d ref names (%s); give one in full",
			ref, len(names), strings.Join(names, ", "))
	}
	return loose, nil
}

// refLabel names an index entry in messages: its ref.name, else its
// containerd name.
func refLabel(ann map[string]string) string {
	if v := ann[oci.AnnotationRefName]; v != "" {
		return v
	}
	return ann[containerdNameAnnotation]
}

// nameOf returns the image name an index entry's annotations give, or "".
func nameOf(ann map[string]string) string {
	if n := nameFromAnnotation(ann[oci.AnnotationRefName]); n != "" {
		return n
	}
	return nameFromAnnotation(ann[containerdNameAnnotation])
}

// pickTop chooses among the top-level entries of index.json. Several
// linux/amd64 images with no ref to choose between them is an error rather
// than a silent pick of the first.
func pickTop(descs []oci.Descriptor, ref string) (oci.Descriptor, error) {
	var n int
	var names []string
	for _, d := range descs {
		if d.Platform == nil || isLinuxAmd64(d.Platform) {
			n++
			names = append(names, d.Annotations[oci.AnnotationRefName])
		}
	}
	if n > 1 && ref == "" {
		return oci.Descriptor{}, fmt.Errorf("%d images (%s); choose one by ref name",
			n, strings.Join(names, ", "))
	}
	return pickPlatform(descs)
}

// pickPlatform returns the first linux/amd64 descriptor, else the first
// one without a platform (its config is checked later).
func pickPlatform(descs []oci.Descriptor) (oci.Descriptor, error) {
	var untyped []oci.Descriptor
	var seen []string
	for _, d := range descs {
		switch {
		case d.Platform == nil:
			untyped = append(untyped, d)
		case isLinuxAmd64(d.Platform):
			return d, nil
		default:
			seen = append(seen, d.Platform.OS+"/"+d.Platform.Architecture)
		}
	}
	if len(untyped) > 0 {
		return untyped[0], nil
	}
	return oci.Descriptor{}, fmt.Errorf("no linux/amd64 manifest (found: %s)",
		strings.Join(seen, ", "))
}

func isLinuxAmd64(p *oci.Platform) bool { return p.OS == "linux" && p.Architecture == "amd64" }

// resolveIndex follows desc through nested indexes down to a manifest.
func (s *Store) resolveIndex(src source, desc oci.Descriptor, depth int) (
	oci.Descriptor, error,
) {
	switch desc.MediaType {
	case oci.MediaTypeImageManifest, dockerManifestType:
		return desc, nil
	case oci.MediaTypeImageIndex, dockerListType:
	default:
		return desc, fmt.Errorf("manifest %s: unsupported media type %q", desc.Digest, desc.MediaType)
	}
	if depth >= maxIndexDepth {
		return desc, fmt.Errorf("index %s: indexes nested too deep", desc.Digest)
	}
	var idx oci.Index
	if err := s.fetchJSON(src, "index", desc, &idx); err != nil {
		return desc, err
	}
	next, err := pickPlatform(idx.Manifests)
	if err != nil {
		return desc, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	return s.resolveIndex(src, next, depth+1)
}

// readManifest fetches the manifest desc points to and returns its blobs.
func (s *Store) readManifest(src source, desc oci.Descriptor) (imageRef, error) {
	var m oci.Manifest
	if err := s.fetchJSON(src, "manifest", desc, &m); err != nil {
		return imageRef{}, err
	}
	if m.MediaType != "" && m.MediaType != desc.MediaType {
		return imageRef{}, fmt.Errorf("manifest %s: media type %q, descriptor says %q",
			desc.Digest, m.MediaType, desc.MediaType)
	}
	ir := imageRef{manifest: desc.Digest}
	var err error
	if ir.config, err = descRef("config", m.Config); err != nil {
		return imageRef{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	for _, l := range m.Layers {
		b, err := descRef("layer", l)
		if err != nil {
			return imageRef{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
		}
		ir.layers = append(ir.layers, b)
	}
	return ir, nil
}

// fetchJSON fetches the kind blob desc points to, verified, and decodes it.
func (s *Store) fetchJSON(src source, kind string, desc oci.Descriptor, v any) error {
	b, err := descRef(kind, desc)
	if err != nil {
		return err
	}
	d, err := s.fetch(src, b)
	if err != nil {
		return err
	}
	data, err := s.readBlob(d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s %s: %w", kind, d, err)
	}
	return nil
}

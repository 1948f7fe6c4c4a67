package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"husk/image/oci"
)

// dockerEntry is one image of a docker save archive's manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// dockerImage picks the image of a docker save archive (without
// index.json) whose manifest.json is data: the one tagged ref, or the only
// one when ref is "".
func dockerImage(data []byte, ref string) (imageRef, error) {
	var entries []dockerEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return imageRef{}, fmt.Errorf("manifest.json: %w", err)
	}
	e, name, err := pickDocker(entries, ref)
	if err != nil {
		return imageRef{}, fmt.Errorf("manifest.json: %w", err)
	}
	ir := imageRef{config: memberRef("config", e.Config), name: name}
	for _, l := range e.Layers {
		ir.layers = append(ir.layers, memberRef("layer", l))
	}
	return ir, nil
}

// pickDocker returns the chosen entry and its normalized name ("" if the
// entry has no usable tag).
func pickDocker(entries []dockerEntry, ref string) (dockerEntry, string, error) {
	if ref == "" {
		switch len(entries) {
		case 0:
			return dockerEntry{}, "", errors.New("no images")
		case 1:
			return entries[0], firstName(entries[0].RepoTags), nil
		}
		return dockerEntry{}, "", fmt.Errorf("%d images; choose one by tag", len(entries))
	}
	want, err := NormalizeName(ref)
	if err != nil {
		return dockerEntry{}, "", err
	}
	for _, e := range entries {
		for _, t := range e.RepoTags {
			if n, err := NormalizeName(t); err == nil && n == want {
				return e, want, nil
			}
		}
	}
	return dockerEntry{}, "", fmt.Errorf("no image tagged %q", ref)
}

func firstName(tags []string) string {
	for _, t := range tags {
		if n, err := NormalizeName(t); err == nil {
			return n
		}
	}
	return ""
}

// memberRef returns the blobRef of a manifest.json path. Sizes are not
// recorded; a digest is when the name carries one: "blobs/sha256/<hex>"
// (docker 25+) or "<hex>.json" (the config in older archives). Older
// layer paths ("<id>/layer.tar") carry none; the diff_id check covers them.
func memberRef(kind, name string) blobRef {
	b := blobRef{kind: kind, member: name, size: -1}
	if d, ok := digestFromPath(name); ok {
		b.want = d
	} else if hex, ok := strings.CutSuffix(name, ".json"); ok && isDigestHex(hex) {
		b.want = oci.NewDigest(oci.SHA256, hex)
	}
	return b
}

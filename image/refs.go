package image

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"husk/image/oci"
)

// minIDPrefix is the shortest hex prefix accepted as an image ID.
const minIDPrefix = 4

// The name grammar follows the distribution reference format, simplified: an
// optional registry host, then lowercase path components. Path components,
// tags and hex are checked by loops, as every `husk run` checks its image
// name (compiling their regexps cost ~0.5 ms of each run); the rarer
// registry host keeps a regexp, compiled on first use.
var domainRe = lazyRegexp(`^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?` +
	`(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$`)

// validComponent is [a-z0-9]+ runs joined by ".", "_", "__" or dashes.
func validComponent(p string) bool {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i < len(p); {
		start := i
		for i < len(p) && alnum(p[i]) {
			i++
		}
		if i == start || i == len(p) {
			return i > start
		}
		sep := i
		for i < len(p) && !alnum(p[i]) {
			i++
		}
		switch s := p[sep:i]; {
		case s == "." || s == "_" || s == "__":
		case strings.Trim(s, "-") == "":
		default:
			return false
		}
		if i == len(p) {
			return false // a separator must be followed by a run
		}
	}
	return false
}

// validTag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// NormalizeName returns ref in the "name:tag" form the store uses: the tag
// defaults to "latest" and a leading "docker.io/library/" or "docker.io/" is
// dropped. It fails when ref is not a valid name, or is 64 hex digits (which
// would read as an image ID).
func NormalizeName(ref string) (string, error) {
	name, tag, ok := SplitTag(ref)
	if !ok {
		tag = "latest"
	}
	name = strings.TrimPrefix(strings.TrimPrefix(name, "docker.io/"), "library/")
	switch {
	case isDigestHex(name):
		return "", fmt.Errorf("image name %q: looks like an image id", ref)
	case !validName(name):
		return "", fmt.Errorf("image name %q: invalid name: want [HOST[:PORT]/]PATH, "+
			"each PATH component lowercase letters and digits joined by '.', '_', '__' or '-'", ref)
	case !validTag(tag):
		return "", fmt.Errorf("image name %q: invalid tag: want up to 128 letters, digits, "+
			"'_', '.' and '-', not starting with '.' or '-'", ref)
	}
	return name + ":" + tag, nil
}

// SplitTag splits "name[:tag]"; ok reports whether there was a tag. A colon
// before the last '/' belongs to a registry port, not a tag.
func SplitTag(ref string) (name, tag string, ok bool) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 || strings.Contains(ref[i+1:], "/") {
		return ref, "", false
	}
	return ref[:i], ref[i+1:], true
}

func validName(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		if !domainRe().MatchString(parts[0]) {
			return false
		}
		parts = parts[1:]
	}
	for _, p := range parts {
		if !validComponent(p) {
			return false
		}
	}
	return true
}

// nameFromAnnotation returns the normalized name of an annotation value that
// spells an explicit "name:tag", or "". A bare tag such as "3.20", which OCI
// layouts often use as ref.name, is not a name.
func nameFromAnnotation(v string) string {
	if _, _, ok := SplitTag(v); !ok {
		return ""
	}
	name, err := NormalizeName(v)
	if err != nil {
		return ""
	}
	return name
}

// isDigestHex reports whether s is the hex part of a sha256 digest.
func isDigestHex(s string) bool { return len(s) == 64 && oci.IsHex(s) }

// repos maps "name:tag" to image ID; it is the content of repositories.json.
type repos map[string]oci.Digest

func (s *Store) loadRepos() (repos, error) {
	r := repos{}
	if err := readJSON(s.reposPath(), &r); err != nil && !isNotExist(err) {
		return nil, err
	}
	return r, nil
}

func (s *Store) saveRepos(r repos) error { return s.writeJSON(s.reposPath(), r) }

// namesOf returns the sorted names pointing at id.
func (r repos) namesOf(id oci.Digest) []string {
	var names []string
	for n, v := range r {
		if v == id {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// resolve maps ref to an image ID: a full "sha256:<hex>" ID, a name (tag
// defaults to latest), or a unique hex ID prefix of at least minIDPrefix
// digits, with or without "sha256:". Names win over ID prefixes. When a ref
// that can only be a name matches nothing, the error names the normalized
// "name:tag" looked up: "alpine" is missing as alpine:latest even when
// alpine:3.20.3 is there.
func (s *Store) resolve(r repos, ref string) (oci.Digest, error) {
	if p, ok := strings.CutPrefix(ref, "sha256:"); ok {
		return s.resolveID(p, ref)
	}
	name, err := NormalizeName(ref)
	if err != nil {
		if !isIDPrefix(ref) {
			// Neither a name nor an id: say why, not "not found".
			return "", fmt.Errorf("%w (want NAME[:TAG] or an image id)", err)
		}
		return s.resolveID(ref, ref)
	}
	if id, ok := r[name]; ok {
		return id, nil
	}
	if !isIDPrefix(ref) {
		return "", fmt.Errorf("image %q: %w", name, ErrNotFound)
	}
	return s.resolveID(ref, ref)
}

// isIDPrefix reports whether s has the form of an abbreviated image ID.
func isIDPrefix(s string) bool {
	return len(s) >= minIDPrefix && len(s) <= 64 && oci.IsHex(s)
}

func (s *Store) resolveID(prefix, ref string) (oci.Digest, error) {
	if !isIDPrefix(prefix) {
		return "", fmt.Errorf("image %q: %w", ref, ErrNotFound)
	}
	ids, err := s.recordIDs()
	if err != nil {
		return "", err
	}
	var found []oci.Digest
	for _, id := range ids {
		if strings.HasPrefix(id.Encoded(), prefix) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("image %q: %w", ref, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("image %q: ambiguous id prefix, matches %d images", ref, len(found))
}

// recordIDs lists the IDs of all image records.
func (s *Store) recordIDs() ([]oci.Digest, error) {
	entries, err := os.ReadDir(s.imagesDir())
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var ids []oci.Digest
	for _, e := range entries {
		hex, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && isDigestHex(hex) {
			ids = append(ids, oci.NewDigest(oci.SHA256, hex))
		}
	}
	return ids, nil
}

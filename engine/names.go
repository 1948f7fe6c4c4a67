package engine

import (
	"fmt"
	"regexp"
	"strings"
)

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$`)

// checkName refuses container names Docker would refuse.
func checkName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("container name %q: must start with a letter or digit and hold only letters, digits, '_', '.' and '-'", name)
	}
	return nil
}

// parseOCIRef splits "oci:DIR[:REF]". A colon after the last slash starts
// the REF, so directories with colons elsewhere in their path still work.
func parseOCIRef(ref string) (dir, sel string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "oci:")
	if !ok {
		return "", "", false
	}
	slash := strings.LastIndexByte(rest, '/')
	if i := strings.LastIndexByte(rest, ':'); i > slash {
		return rest[:i], rest[i+1:], true
	}
	return rest, "", true
}

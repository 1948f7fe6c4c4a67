package engine

import (
	"fmt"
	"os"
	"strings"

	"husk/internal/names"
)

// checkName refuses container names Docker would refuse.
func checkName(name string) error {
	if err := names.Check(name, 128); err != nil {
		return fmt.Errorf("container name %q: %w", name, err)
	}
	return nil
}

// parseOCIRef splits "oci:DIR[:REF]". The first colon after the last
// slash starts the REF, which may hold colons itself ("alpine:3.20.3");
// a DIR that exists as written is taken whole.
func parseOCIRef(ref string) (dir, sel string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "oci:")
	if !ok {
		return "", "", false
	}
	if fi, err := os.Stat(rest); err == nil && fi.IsDir() {
		return rest, "", true
	}
	slash := strings.LastIndexByte(rest, '/')
	if i := strings.IndexByte(rest[slash+1:], ':'); i >= 0 {
		return rest[:slash+1+i], rest[slash+2+i:], true
	}
	return rest, "", true
}

package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// setUnified writes the spec's raw v2 map, key = file name in the cgroup
// directory, in key order. A key must be a plain "<controller>.<knob>"
// name: no path separators, so that it cannot reach outside the cgroup.
// A key whose file is missing is reported as a controller that is not
// enabled when that is the reason.
func setUnified(dir string, m map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		field := fmt.Sprintf("unified[%q]", k)
		ctrl, _, ok := strings.Cut(k, ".")
		if !ok || ctrl == "" || strings.ContainsAny(k, `/\`) || k == "." || k == ".." {
			return fieldError(field, errors.New("not a cgroup file name (want <controller>.<name>)"))
		}
		err := writeFile(dir, k, m[k])
		if errors.Is(err, fs.ErrNotExist) && ctrl != "cgroup" {
			avail, rerr := readFile(dir, "cgroup.controllers")
			if rerr == nil && !slices.Contains(strings.Fields(avail), ctrl) {
				return fieldError(field, fmt.Errorf("the %s controller is not enabled for %q", ctrl, dir))
			}
		}
		if err != nil {
			return fieldError(field, err)
		}
	}
	return nil
}

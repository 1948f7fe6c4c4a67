package image

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// RootfsMount describes the overlay mount of img's layers as plain data:
// Type and Source "overlay", Destination "/", and the options
// "lowerdir=<top>:...:<bottom>" (overlayfs lists the top layer first),
// "upperdir=upper" and "workdir=work". Directories in above are stacked
// over the image's layers, top first (MountTargets). With upper == "" the
// mount is read-only and the last two options are left out; overlayfs then
// needs at least two lower layers.
//
// NOTE: mount(2) takes at most one page (4096 bytes on amd64) of option
// data, about 40 layers with a short store root. The mount is returned even
// when it is too long; CheckMountSize tells.
func (s *Store) RootfsMount(img *Image, upper, work string, above ...string) specs.Mount {
	lowers := append(append([]string(nil), above...), s.lowerDirs(img)...)
	opts := []string{"lowerdir=" + strings.Join(lowers, ":")}
	if upper != "" {
		opts = append(opts, "upperdir="+upper, "workdir="+work)
	}
	return specs.Mount{Destination: "/", Type: "overlay", Source: "overlay", Options: opts}
}

// lowerDirs returns the layer dirs of img top first. A layer that occurs
// more than once is kept only at its topmost place: overlayfs refuses the
// same lowerdir twice, and the upper copy already shows everything the
// lower one would.
func (s *Store) lowerDirs(img *Image) []string {
	dirs := s.LayerDirs(img)
	seen := map[string]bool{}
	var top []string
	for i := len(dirs) - 1; i >= 0; i-- {
		if !seen[dirs[i]] {
			seen[dirs[i]] = true
			top = append(top, dirs[i])
		}
	}
	return top
}

// CheckMountSize returns an error when the options of m, joined with commas
// as mount(2) receives them, do not fit in one page with the trailing NUL.
func (s *Store) CheckMountSize(m specs.Mount) error {
	data := strings.Join(m.Options, ",")
	if limit := os.Getpagesize(); len(data) >= limit {
		return fmt.Errorf("overlay mount options: %d bytes, the kernel takes at most %d: too many layers",
			len(data), limit-1)
	}
	return nil
}

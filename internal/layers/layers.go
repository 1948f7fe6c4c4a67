// Package layers looks a path up in a stack of overlayfs layer
// directories as the mounted overlay would show it, without mounting:
// the topmost layer that holds the path decides, whiteouts (0/0 character
// devices) hide it, and an opaque directory hides what the layers below
// hold under it. The runtime reads the image's /etc/passwd this way, and
// the image store finds the mount targets an image lacks.
package layers

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrBlocked is returned when a component before the last is not a
// directory (a file or a symlink) in the layer that decides: the path
// cannot be followed without resolving links, which this package never
// does.
var ErrBlocked = errors.New("a component of the path is not a directory")

// Entry is a path as the overlay shows it.
type Entry struct {
	// Path is the file in the layer that holds it.
	Path string
	Stat unix.Stat_t
}

// IsDir reports whether the entry is a directory.
func (e *Entry) IsDir() bool { return e.Stat.Mode&unix.S_IFMT == unix.S_IFDIR }

// Lookup finds name, relative and slash-separated ("etc/passwd"), in dirs,
// the layers top first. It returns nil when the overlay would not show
// it, and ErrBlocked as documented there.
func Lookup(dirs []string, name string) (*Entry, error) {
	parts := strings.Split(filepath.Clean(name), "/")
	for _, dir := range dirs {
		e, decided, err := inLayer(dir, parts)
		if decided || err != nil {
			return e, err
		}
	}
	return nil, nil
}

// inLayer looks for the path in one layer. decided is true when this
// layer settles the lookup: it holds the path, or hides it.
func inLayer(dir string, parts []string) (e *Entry, decided bool, err error) {
	full := filepath.Join(dir, filepath.Join(parts...))
	for i := range parts {
		p := filepath.Join(dir, filepath.Join(parts[:i+1]...))
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); errors.Is(err, unix.ENOENT) {
			return nil, false, nil
		} else if err != nil {
			return nil, true, fmt.Errorf("look up /%s in image layer: %w", strings.Join(parts, "/"), err)
		}
		last := i == len(parts)-1
		switch {
		case st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0:
			return nil, true, nil // a whiteout
		case last:
			return &Entry{Path: p, Stat: st}, true, nil
		case st.Mode&unix.S_IFMT != unix.S_IFDIR:
			return nil, true, ErrBlocked
		case opaque(p) && !exists(full):
			return nil, true, nil
		}
	}
	return nil, false, nil
}

func opaque(dir string) bool {
	buf := make([]byte, 1)
	n, err := unix.Lgetxattr(dir, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

func exists(path string) bool {
	var st unix.Stat_t
	return unix.Lstat(path, &st) == nil
}

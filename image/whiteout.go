package image

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// OCI layers mark deletions with AUFS-style names; overlayfs wants a 0/0
// character device for a deleted entry and the trusted.overlay.opaque xattr
// on a directory that hides the lower layers' contents. See the OCI image
// spec, layer.md "Whiteouts", and the kernel's overlayfs.rst.
const (
	whiteoutPrefix = ".wh."
	// whiteoutMeta prefixes AUFS bookkeeping names such as .wh..wh.plnk.
	whiteoutMeta = ".wh..wh."
	// opaqueMarker in a directory hides lower layers' entries under it.
	opaqueMarker = ".wh..wh..opq"
	opaqueXattr  = "trusted.overlay.opaque"
)

func isWhiteout(base string) bool { return strings.HasPrefix(base, whiteoutPrefix) }

// whiteout converts the whiteout entry base in directory dir of the layer.
// ".wh.NAME" replaces whatever this layer unpacked as NAME with a 0/0
// character device; ".wh..wh..opq" marks dir opaque. Other AUFS metadata
// names mean nothing to overlayfs and are skipped.
func (u *unpacker) whiteout(dir, base string) error {
	parent, err := mkdirAll(u.root, dir)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	if base == opaqueMarker {
		return setXattrAt(parent, ".", opaqueXattr, "y")
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return errors.New("invalid whiteout name")
	}
	if err := removeAt(parent, name); err != nil {
		return fmt.Errorf("whiteout %q: %w", name, err)
	}
	if err := unix.Mknodat(parent, name, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("whiteout %q: %w", name, &os.PathError{Op: "mknodat", Path: name, Err: err})
	}
	err = unix.Fchownat(parent, name, 0, 0, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("whiteout %q: %w", name, &os.PathError{Op: "fchownat", Path: name, Err: err})
	}
	return nil
}

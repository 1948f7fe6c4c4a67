package image

import (
	"archive/tar"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	// paxXattrPrefix marks xattrs in PAX records, as GNU tar and Go write them.
	paxXattrPrefix = "SCHILY.xattr."
	// overlayXattrPrefix is reserved for overlayfs. Such xattrs from a layer
	// are dropped: a redirect or metacopy planted by an image would steer the
	// overlay mount. The store sets trusted.overlay.opaque itself.
	overlayXattrPrefix = "trusted.overlay."
)

// permBits returns the permission bits of hdr, setuid, setgid and sticky
// included (tar stores them with the same values as chmod(2)).
func permBits(hdr *tar.Header) uint32 { return uint32(hdr.Mode) & 0o7777 }

// xattrs returns the xattrs of hdr, sorted by name, without overlay ones.
func xattrs(hdr *tar.Header) [][2]string {
	var out [][2]string
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattrPrefix)
		if ok && !strings.HasPrefix(name, overlayXattrPrefix) {
			out = append(out, [2]string{name, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// procPath names base inside the directory open as dirfd through
// /proc/self/fd, for the few calls that have no *at form. dirfd was resolved
// safely and base is one component, so nothing here follows a symlink
// planted by the layer.
func procPath(dirfd int, base string) string {
	return "/proc/self/fd/" + strconv.Itoa(dirfd) + "/" + base
}

// setOwnerMode sets owner then mode of base in dirfd; in this order because
// chown(2) clears setuid and setgid. Symlinks get no mode.
func setOwnerMode(dirfd int, base string, hdr *tar.Header) error {
	err := unix.Fchownat(dirfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return &os.PathError{Op: "fchownat", Path: base, Err: err}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return nil
	}
	// The entry was just created in our private directory and is not a
	// symlink, so following the last component is safe.
	if err := unix.Fchmodat(dirfd, base, permBits(hdr), 0); err != nil {
		return &os.PathError{Op: "fchmodat", Path: base, Err: err}
	}
	return nil
}

// setXattrsAt applies the xattrs of hdr to base in dirfd, not following a
// symlink at base.
func setXattrsAt(dirfd int, base string, hdr *tar.Header) error {
	for _, x := range xattrs(hdr) {
		if err := setXattrAt(dirfd, base, x[0], x[1]); err != nil {
			return err
		}
	}
	return nil
}

func setXattrAt(dirfd int, base, name, value string) error {
	if err := unix.Lsetxattr(procPath(dirfd, base), name, []byte(value), 0); err != nil {
		return fmt.Errorf("set xattr %q: %w", name, &os.PathError{Op: "lsetxattr", Path: base, Err: err})
	}
	return nil
}

// timespecs returns the atime and mtime of hdr for utimensat(2); atime
// falls back to mtime when the tar has none.
func timespecs(hdr *tar.Header) []unix.Timespec {
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	return []unix.Timespec{
		unix.NsecToTimespec(atime.UnixNano()),
		unix.NsecToTimespec(hdr.ModTime.UnixNano()),
	}
}

// setTimesAt sets atime and mtime of base in dirfd, on the symlink itself
// when base is one.
func setTimesAt(dirfd int, base string, ts []unix.Timespec) error {
	if err := unix.UtimesNanoAt(dirfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimensat", Path: base, Err: err}
	}
	return nil
}

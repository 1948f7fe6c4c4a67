package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"golang.org/x/sys/unix"

	"husk/image/oci"
)

// Unpack extracts the layer tar stream r (gzip, zstd or uncompressed, told
// apart by magic bytes) into the existing directory dir, and returns the
// sha256 digest of the uncompressed stream: the layer's diff_id. The caller
// compares it with the expected diff_id and discards dir on mismatch.
//
// Every path is resolved under dir with openat2(2) and no symlink is
// followed, so entries such as "../x", "/etc/x", "link/passwd" after
// "link -> /etc", or a hard link to a file outside dir are refused with an
// error naming the entry, and nothing is written outside dir. Symlinks are
// created as they are. OCI whiteouts become overlayfs whiteouts: ".wh.NAME"
// a 0/0 character device NAME, ".wh..wh..opq" the trusted.overlay.opaque
// xattr on its directory. Owners, modes (setuid, setgid, sticky), mtimes,
// device numbers and PAX xattrs are restored, which needs root; overlayfs
// xattrs in the tar are dropped.
func Unpack(r io.Reader, dir string) (oci.Digest, error) {
	zr, err := Decompress(r)
	if err != nil {
		return "", err
	}
	defer zr.Close()
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(root)
	dg := oci.SHA256.Digester()
	tee := io.TeeReader(zr, dg.Hash())
	u := &unpacker{root: root, buf: make([]byte, 128<<10)}
	if err := u.run(tar.NewReader(tee)); err != nil {
		return "", err
	}
	// The diff_id covers the whole stream, end-of-archive padding included.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return "", fmt.Errorf("read layer: %w", err)
	}
	return dg.Digest(), nil
}

// unpacker extracts one layer into the directory open as root.
type unpacker struct {
	root int
	buf  []byte
	// dirTimes holds directory mtimes, set last: writing into a directory
	// bumps its mtime.
	dirTimes []dirTime
}

type dirTime struct {
	name string
	ts   []unix.Timespec
}

func (u *unpacker) run(tr *tar.Reader) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read layer: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
	}
	return u.setDirTimes()
}

func (u *unpacker) entry(hdr *tar.Header, r io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	dir, base := path.Dir(name), path.Base(name)
	if isWhiteout(base) {
		return u.whiteout(dir, base)
	}
	parent, err := mkdirAll(u.root, dir)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	keep, err := makeRoom(parent, base, hdr.Typeflag == tar.TypeDir)
	if err != nil {
		return err
	}
	if err := u.create(parent, base, hdr, r, keep); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeLink {
		return nil // shares the inode, and so the metadata, of its target
	}
	if err := setOwnerMode(parent, base, hdr); err != nil {
		return err
	}
	if err := setXattrsAt(parent, base, hdr); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeDir {
		u.dirTimes = append(u.dirTimes, dirTime{name, timespecs(hdr)})
		return nil
	}
	return setTimesAt(parent, base, timespecs(hdr))
}

// makeRoom clears the way for a new entry base in parent: later tar entries
// replace earlier ones, except that a directory stays a directory (keep).
func makeRoom(parent int, base string, isDir bool) (keep bool, err error) {
	st, ok, err := statAt(parent, base)
	if err != nil || !ok {
		return false, err
	}
	if isDir && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return true, nil
	}
	if base == "." {
		return false, errors.New("layer root must be a directory")
	}
	return false, removeAt(parent, base)
}

// create makes the file system object for hdr as base in parent.
func (u *unpacker) create(parent int, base string, hdr *tar.Header, r io.Reader, keep bool) error {
	var err error
	op := "mknodat"
	switch hdr.Typeflag {
	case tar.TypeDir:
		if keep {
			return nil
		}
		op, err = "mkdirat", unix.Mkdirat(parent, base, 0o700)
	case tar.TypeReg, tar.TypeGNUSparse:
		return u.writeFile(parent, base, r)
	case tar.TypeSymlink:
		op, err = "symlinkat", unix.Symlinkat(hdr.Linkname, parent, base)
	case tar.TypeLink:
		return u.hardlink(parent, base, hdr.Linkname)
	case tar.TypeChar:
		err = mknod(parent, base, unix.S_IFCHR, hdr)
	case tar.TypeBlock:
		err = mknod(parent, base, unix.S_IFBLK, hdr)
	case tar.TypeFifo:
		err = mknod(parent, base, unix.S_IFIFO, hdr)
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	if err != nil {
		return &os.PathError{Op: op, Path: base, Err: err}
	}
	return nil
}

func mknod(parent int, base string, typ uint32, hdr *tar.Header) error {
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	return unix.Mknodat(parent, base, typ|permBits(hdr), int(dev))
}

// writeFile creates base in parent, never through an existing file or
// symlink (O_EXCL|O_NOFOLLOW), and copies r into it.
func (u *unpacker) writeFile(parent int, base string, r io.Reader) error {
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(parent, base, flags, 0o600)
	if err != nil {
		return &os.PathError{Op: "openat", Path: base, Err: err}
	}
	f := os.NewFile(uintptr(fd), base)
	// Hide f's ReadFrom and r's WriteTo so CopyBuffer uses u.buf instead
	// of allocating, and so that a failed read is told from a failed write.
	src := &readErrs{r: r}
	_, err = io.CopyBuffer(struct{ io.Writer }{f}, src, u.buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case src.err != nil:
		return fmt.Errorf("read layer: %w", src.err)
	case err != nil:
		return fmt.Errorf("write %q: %w", base, err)
	}
	return nil
}

// hardlink links base in parent to the already unpacked entry target, which
// must lie inside the layer; a symlink target is linked, not followed.
func (u *unpacker) hardlink(parent int, base, target string) error {
	clean, err := cleanName(target)
	if err == nil && clean == "." {
		err = errors.New("layer root")
	}
	if err != nil {
		return fmt.Errorf("link target %q: %w", target, err)
	}
	tparent, err := openBeneath(u.root, path.Dir(clean))
	if err != nil {
		return fmt.Errorf("link target %q: %w", target, err)
	}
	defer unix.Close(tparent)
	if err := unix.Linkat(tparent, path.Base(clean), parent, base, 0); err != nil {
		return fmt.Errorf("link target %q: %w", target, &os.PathError{Op: "linkat", Path: base, Err: err})
	}
	return nil
}

// setDirTimes applies the deferred directory times. A directory removed by
// a later entry is skipped.
func (u *unpacker) setDirTimes() error {
	for _, d := range u.dirTimes {
		parent, err := openBeneath(u.root, path.Dir(d.name))
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err == nil {
			err = setTimesAt(parent, path.Base(d.name), d.ts)
			unix.Close(parent)
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("entry %q: %w", d.name, err)
		}
	}
	return nil
}

// readErrs remembers the error its reader returned, other than io.EOF.
type readErrs struct {
	r   io.Reader
	err error
}

func (e *readErrs) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

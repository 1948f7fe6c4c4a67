package vm

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// CPIOWriter writes a cpio archive in the "newc" format (magic 070701),
// the only one the kernel unpacks into its initial ramfs (see the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst). Every entry
// is owned by root, dated at the epoch and has no hard links, so the same
// inputs give the same bytes.
//
// Names are relative to the archive's root ("bin/busybox"); a leading "/"
// is dropped. Parent directories are not implied: write them first, or
// the kernel's unpacker fails to create the entry under them.
type CPIOWriter struct {
	w      io.Writer
	ino    uint32
	closed bool
	rdev   [2]uint32 // major and minor of the device entry being written
	err    error     // the first write error; every later call returns it
}

// NewCPIOWriter returns a writer of a newc archive to w. The caller must
// call Close to write the trailer.
func NewCPIOWriter(w io.Writer) *CPIOWriter {
	return &CPIOWriter{w: w, ino: 1}
}

// Mkdir adds a directory with permission bits perm.
func (c *CPIOWriter) Mkdir(name string, perm fs.FileMode) error {
	return c.entry(name, modeDir|uint32(perm.Perm()), nil)
}

// WriteFile adds a regular file holding data, with permission bits perm.
func (c *CPIOWriter) WriteFile(name string, perm fs.FileMode, data []byte) error {
	return c.entry(name, modeReg|uint32(perm.Perm()), data)
}

// Symlink adds a symbolic link name pointing at target.
func (c *CPIOWriter) Symlink(name, target string) error {
	return c.entry(name, modeLink|0o777, []byte(target))
}

// CharDev adds a character device node with the given numbers. The
// kernel needs dev/console in the archive to give /init its stdio.
func (c *CPIOWriter) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	c.rdev = [2]uint32{major, minor}
	defer func() { c.rdev = [2]uint32{} }()
	return c.entry(name, modeChar|uint32(perm.Perm()), nil)
}

// Close writes the trailer entry that ends the archive. It does not close
// the underlying writer.
func (c *CPIOWriter) Close() error {
	if c.closed {
		return c.err
	}
	c.entry("TRAILER!!!", 0, nil)
	c.closed = true
	return c.err
}

// The file type bits of a cpio mode, as in stat(2).
const (
	modeChar = 0o020000
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeLink = 0o120000
)

// cpioName returns name as it is stored: relative and clean.
func cpioName(name string) (string, error) {
	if name == "TRAILER!!!" {
		return name, nil
	}
	clean := path.Clean(strings.TrimLeft(name, "/"))
	if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("cpio entry %q: not a path inside the archive", name)
	}
	return clean, nil
}

func (c *CPIOWriter) entry(name string, mode uint32, data []byte) error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return errors.New("cpio: write after Close")
	}
	stored, err := cpioName(name)
	if err != nil {
		return err
	}
	nlink := 1
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	ino := c.ino
	if stored == "TRAILER!!!" {
		ino, nlink = 0, 1
	}
	c.ino++
	// The header is 13 fields of 8 hex digits after the magic: ino, mode,
	// uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
	// rdevminor, namesize (with its NUL), check (0 for newc).
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, c.rdev[0], c.rdev[1], len(stored)+1, 0)
	var buf []byte
	buf = append(buf, hdr...)
	buf = append(buf, stored...)
	buf = append(buf, 0)
	buf = pad4(buf)
	if _, err := c.w.Write(buf); err != nil {
		c.err = fmt.Errorf("write cpio header of %q: %w", stored, err)
		return c.err
	}
	if len(data) > 0 {
		if _, err := c.w.Write(data); err != nil {
			c.err = fmt.Errorf("write cpio data of %q: %w", stored, err)
			return c.err
		}
		if n := padLen(len(data)); n > 0 {
			if _, err := c.w.Write(make([]byte, n)); err != nil {
				c.err = fmt.Errorf("write cpio padding of %q: %w", stored, err)
				return c.err
			}
		}
	}
	return nil
}

// pad4 pads b with NULs to a multiple of four bytes: newc aligns both the
// header-plus-name and the data that way.
func pad4(b []byte) []byte {
	return append(b, make([]byte, padLen(len(b)))...)
}

func padLen(n int) int { return (4 - n%4) % 4 }

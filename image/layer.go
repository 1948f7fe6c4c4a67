package image

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"husk/image/oci"
)

// ensureLayer unpacks the layer blob into root/layers/sha256/<diffID-hex>
// unless it is there already. It unpacks into a temp dir in root/tmp and
// renames it into place only when the stream hashes to diffID, so a layer
// directory in the store is always complete and verified.
func (s *Store) ensureLayer(blob, diffID oci.Digest) error {
	dst := s.layerPath(diffID)
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(s.tmpDir(), "layer-")
	if err != nil {
		return err
	}
	if err := s.unpackVerified(blob, diffID, tmp); err != nil {
		// Best effort: whatever stays is removed the next time the store
		// lock is taken.
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return nil
}

func (s *Store) unpackVerified(blob, diffID oci.Digest, dir string) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Open(s.blobPath(blob))
	if err != nil {
		return err
	}
	defer f.Close()
	got, err := Unpack(f, dir)
	if err != nil {
		return err
	}
	if got != diffID {
		return fmt.Errorf("diff_id mismatch: content hashes to %s, config says %s", got, diffID)
	}
	// Flush the unpacked files before the rename publishes them: after a
	// crash the layer must be whole or absent. f, the blob, lives on the
	// store's file system, as dir does.
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return os.NewSyscallError("syncfs", err)
	}
	return nil
}

// dirSize returns the bytes held by regular files under dir, counting hard
// linked files once.
func dirSize(dir string) (int64, error) {
	var size int64
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		size += fi.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measure %q: %w", dir, err)
	}
	return size, nil
}

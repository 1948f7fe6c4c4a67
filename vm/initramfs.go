package vm

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Initramfs builds an initial ramfs archive: a CPIOWriter that creates the
// parent directories of every entry and copies files and trees from the
// host. Every archive it writes has dev/console, which the kernel opens
// as /init's stdin, stdout and stderr.
type Initramfs struct {
	cpio *CPIOWriter
	dirs map[string]bool
}

// NewInitramfs starts an archive on w; Close finishes it.
func NewInitramfs(w io.Writer) (*Initramfs, error) {
	r := &Initramfs{cpio: NewCPIOWriter(w), dirs: map[string]bool{}}
	if err := r.Dir("dev"); err != nil {
		return nil, err
	}
	if err := r.cpio.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return nil, err
	}
	return r, nil
}

// Dir creates directory name and its missing parents, mode 0755.
func (r *Initramfs) Dir(name string) error {
	name, err := cpioName(name)
	if err != nil {
		return err
	}
	if r.dirs[name] {
		return nil
	}
	if parent := path.Dir(name); parent != "." {
		if err := r.Dir(parent); err != nil {
			return err
		}
	}
	r.dirs[name] = true
	return r.cpio.Mkdir(name, 0o755)
}

func (r *Initramfs) parent(name string) error {
	if p := path.Dir(strings.TrimLeft(name, "/")); p != "." {
		return r.Dir(p)
	}
	return nil
}

// File adds a regular file holding data.
func (r *Initramfs) File(name string, perm fs.FileMode, data []byte) error {
	if err := r.parent(name); err != nil {
		return err
	}
	return r.cpio.WriteFile(name, perm, data)
}

// Symlink adds a symbolic link name pointing at target.
func (r *Initramfs) Symlink(name, target string) error {
	if err := r.parent(name); err != nil {
		return err
	}
	return r.cpio.Symlink(name, target)
}

// CopyFile adds the host's regular file src as name, with its permission
// bits.
func (r *Initramfs) CopyFile(name, src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("copy %q into the initramfs: not a regular file", src)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return r.File(name, fi.Mode().Perm(), data)
}

// CopyTree adds the host's directory src and everything under it as name:
// directories, regular files and symbolic links (as links). Other file
// types are an error.
func (r *Initramfs) CopyTree(name, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		dst := path.Join(name, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			return r.Dir(dst)
		case d.Type().IsRegular():
			return r.CopyFile(dst, p)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return r.Symlink(dst, target)
		}
		return fmt.Errorf("copy %q into the initramfs: unsupported file type %s", p, d.Type())
	})
}

// Modules adds the kernel modules named, with every module they need,
// under lib/modules/RELEASE as in k.ModulesDir, and a modules.dep for
// them so the guest's modprobe finds them. It returns the guest paths of
// the module files in load order, for Init.Modules.
func (r *Initramfs) Modules(k *Kernel, mods *Modules, names ...string) ([]string, error) {
	order, err := mods.Resolve(names...)
	if err != nil {
		return nil, err
	}
	base := path.Join("/lib/modules", k.Release)
	var paths []string
	for _, name := range order {
		rel := mods.Path[name]
		if err := r.CopyFile(path.Join(base, rel), filepath.Join(k.ModulesDir, rel)); err != nil {
			return nil, err
		}
		paths = append(paths, path.Join(base, rel))
	}
	var dep bytes.Buffer
	if err := mods.WriteModulesDep(&dep, order); err != nil {
		return nil, err
	}
	if err := r.File(path.Join(base, "modules.dep"), 0o644, dep.Bytes()); err != nil {
		return nil, err
	}
	return paths, nil
}

// Close writes the archive's trailer.
func (r *Initramfs) Close() error { return r.cpio.Close() }

// WriteInitramfs writes the archive that fill adds to as the file path,
// atomically: into a temporary file beside it, renamed over path once
// complete.
func WriteInitramfs(path string, fill func(*Initramfs) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	r, err := NewInitramfs(w)
	if err != nil {
		return err
	}
	if err := fill(r); err != nil {
		return err
	}
	if err := r.Close(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// CheckStatic returns an error unless the file at path is an ELF
// executable that needs no dynamic loader: the guest has no C library,
// and a dynamic binary there fails with a bare "not found".
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("check %s is static: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; the guest has no C library "+
				"(build it with CGO_ENABLED=0, or -ldflags '-extldflags -static')", path)
		}
	}
	return nil
}

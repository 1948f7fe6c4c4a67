package vm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultKernelPackage is the Debian package whose kernel the test bed
// boots: the cloud flavour is small and has every cgroup v2 controller,
// and it builds overlay, veth, bridge and nf_tables as modules.
const DefaultKernelPackage = "linux-image-cloud-amd64"

// Kernel is a kernel image with its modules, extracted from a Debian
// package into a cache directory.
type Kernel struct {
	Package    string // the versioned package, linux-image-6.1.0-57-cloud-amd64
	Release    string // what uname -r says in the guest: 6.1.0-57-cloud-amd64
	Image      string // the bzImage, boot/vmlinuz-RELEASE
	ModulesDir string // lib/modules/RELEASE
}

// completeMark is written last into a kernel's cache directory: a
// directory without it is a half-done extraction and is done again.
const completeMark = ".complete"

// DebianKernel returns the kernel of the Debian metapackage meta (such as
// DefaultKernelPackage), cached under cacheDir/PACKAGE. The first call
// resolves the versioned package meta depends on (apt-cache depends),
// downloads it (apt-get download, as root) and extracts it (dpkg-deb -x);
// later calls with the same package only read the cache. When apt knows
// no package, because its lists were never fetched or there is no
// network, the newest kernel already in cacheDir is used. logf, if not
// nil, reports what is downloaded.
func DebianKernel(ctx context.Context, cacheDir, meta string, logf func(string, ...any)) (*Kernel, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	pkg, resolveErr := resolveKernelPackage(ctx, meta)
	if resolveErr != nil {
		cached, err := newestCachedKernel(cacheDir)
		if err != nil || cached == "" {
			return nil, fmt.Errorf("resolve %s (is `apt-get update` done?): %w", meta, resolveErr)
		}
		logf("%v; using the cached %s", resolveErr, cached)
		pkg = cached
	}
	dir := filepath.Join(cacheDir, pkg)
	if _, err := os.Stat(filepath.Join(dir, completeMark)); errors.Is(err, fs.ErrNotExist) {
		logf("downloading %s into %s", pkg, cacheDir)
		if err := fetchPackage(ctx, cacheDir, pkg); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return kernelIn(dir, pkg)
}

// resolveKernelPackage returns the linux-image-VERSION package that meta
// depends on; a package that is already versioned is returned as it is.
func resolveKernelPackage(ctx context.Context, meta string) (string, error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", meta).Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %w", meta, exitDetail(err))
	}
	return parseKernelDepends(string(out), meta)
}

// parseKernelDepends picks the kernel image package from the output of
// `apt-cache depends META`.
func parseKernelDepends(out, meta string) (string, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		dep, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Depends: ")
		dep = strings.Trim(dep, "<>")
		if ok && strings.HasPrefix(dep, "linux-image-") && dep != meta {
			return dep, nil
		}
	}
	if strings.HasPrefix(meta, "linux-image-") && strings.Count(meta, ".") >= 2 {
		return meta, nil // already versioned: linux-image-6.1.0-57-cloud-amd64
	}
	return "", fmt.Errorf("apt-cache depends %s names no linux-image package", meta)
}

// newestCachedKernel returns the most recently extracted complete kernel
// package in cacheDir, or "" when there is none.
func newestCachedKernel(cacheDir string) (string, error) {
	marks, err := filepath.Glob(filepath.Join(cacheDir, "linux-image-*", completeMark))
	if err != nil || len(marks) == 0 {
		return "", err
	}
	sort.Slice(marks, func(i, j int) bool {
		a, _ := os.Stat(marks[i])
		b, _ := os.Stat(marks[j])
		return a != nil && b != nil && a.ModTime().After(b.ModTime())
	})
	return filepath.Base(filepath.Dir(marks[0])), nil
}

// fetchPackage downloads pkg and extracts it into cacheDir/pkg, replacing
// whatever half-done extraction is there.
func fetchPackage(ctx context.Context, cacheDir, pkg string) error {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cacheDir, "download-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// apt-get downloads as the _apt user when it can write the directory,
	// and warns and goes on as root when it cannot.
	os.Chmod(tmp, 0o777)
	dl := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg)
	dl.Dir = tmp
	if out, err := dl.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get download %s: %w\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download %s: got %d .deb files, want 1", pkg, len(debs))
	}
	tree := filepath.Join(tmp, "tree")
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", debs[0], tree).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg-deb -x %s: %w\n%s", debs[0], err, out)
	}
	dir := filepath.Join(cacheDir, pkg)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tree, dir); err != nil {
		return err
	}
	if _, err := kernelIn(dir, pkg); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, completeMark), nil, 0o644)
}

// kernelIn finds the image and the modules in an extracted package.
func kernelIn(dir, pkg string) (*Kernel, error) {
	images, _ := filepath.Glob(filepath.Join(dir, "boot", "vmlinuz-*"))
	if len(images) != 1 {
		return nil, fmt.Errorf("package %s: found %d boot/vmlinuz-* files, want 1", pkg, len(images))
	}
	release := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	k := &Kernel{Package: pkg, Release: release, Image: images[0]}
	// Debian moved /lib to /usr/lib in trixie; bookworm packages use /lib.
	for _, lib := range []string{"lib", "usr/lib"} {
		m := filepath.Join(dir, lib, "modules", release)
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			k.ModulesDir = m
			return k, nil
		}
	}
	return nil, fmt.Errorf("package %s: no modules directory for %s", pkg, release)
}

// exitDetail adds what a command printed on stderr to its error.
func exitDetail(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(bytes.TrimSpace(ee.Stderr)) > 0 {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err
}

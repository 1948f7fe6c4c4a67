package vm

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseKernelDepends(t *testing.T) {
	out := "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-57-cloud-amd64\n"
	if got, err := parseKernelDepends(out, "linux-image-cloud-amd64"); err != nil || got != "linux-image-6.1.0-57-cloud-amd64" {
		t.Errorf("got %q, %v", got, err)
	}
	// A virtual package shows in angle brackets.
	out = "linux-image-cloud-amd64\n  Depends: <linux-image-6.1.0-57-cloud-amd64>\n  Recommends: foo\n"
	if got, err := parseKernelDepends(out, "linux-image-cloud-amd64"); err != nil || got != "linux-image-6.1.0-57-cloud-amd64" {
		t.Errorf("virtual: got %q, %v", got, err)
	}
	// A versioned package depends on no image; it is its own answer.
	out = "linux-image-6.1.0-57-cloud-amd64\n  Depends: kmod\n  Depends: linux-base\n"
	if got, err := parseKernelDepends(out, "linux-image-6.1.0-57-cloud-amd64"); err != nil || got != "linux-image-6.1.0-57-cloud-amd64" {
		t.Errorf("versioned: got %q, %v", got, err)
	}
	if _, err := parseKernelDepends("busybox\n  Depends: libc6\n", "busybox"); err == nil {
		t.Error("no kernel package: no error")
	}
}

// TestKernelCache checks that a complete extraction in the cache is used
// as it is, and the newest one when apt cannot resolve.
func TestKernelCache(t *testing.T) {
	cache := t.TempDir()
	mk := func(pkg, release string, age time.Duration) {
		dir := filepath.Join(cache, pkg)
		for _, d := range []string{"boot", "lib/modules/" + release} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(dir, "boot", "vmlinuz-"+release), []byte("bzImage"), 0o644)
		mark := filepath.Join(dir, completeMark)
		os.WriteFile(mark, nil, 0o644)
		when := time.Now().Add(-age)
		os.Chtimes(mark, when, when)
	}
	mk("linux-image-6.1.0-1-cloud-amd64", "6.1.0-1-cloud-amd64", time.Hour)
	mk("linux-image-6.1.0-2-cloud-amd64", "6.1.0-2-cloud-amd64", time.Minute)
	// Half extracted: no mark.
	os.MkdirAll(filepath.Join(cache, "linux-image-6.1.0-3-cloud-amd64", "boot"), 0o755)

	got, err := newestCachedKernel(cache)
	if err != nil || got != "linux-image-6.1.0-2-cloud-amd64" {
		t.Fatalf("newestCachedKernel: %q, %v", got, err)
	}
	k, err := kernelIn(filepath.Join(cache, got), got)
	if err != nil {
		t.Fatal(err)
	}
	if k.Release != "6.1.0-2-cloud-amd64" || filepath.Base(k.Image) != "vmlinuz-6.1.0-2-cloud-amd64" ||
		k.ModulesDir != filepath.Join(cache, got, "lib/modules/6.1.0-2-cloud-amd64") {
		t.Errorf("kernelIn: %+v", k)
	}
	if empty, err := newestCachedKernel(t.TempDir()); err != nil || empty != "" {
		t.Errorf("empty cache: %q, %v", empty, err)
	}
}

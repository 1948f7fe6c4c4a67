package tests

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// bundle is an OCI bundle made for one test, with huskrt state of its own.
type bundle struct {
	t     *testing.T
	dir   string
	root  string // huskrt --root
	spec  *specs.Spec
	state string
}

// newBundle makes a bundle whose rootfs is busybox (musl), with the
// config `huskrt spec` writes, without a terminal, running args.
func newBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	need(t)
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	layer := layerBlob(t, filepath.Join(imagesDir, "busybox-1.38-musl"))
	if out, err := exec.Command("tar", "-xzf", layer, "-C", rootfs).CombinedOutput(); err != nil {
		t.Fatalf("unpack busybox: %v %s", err, out)
	}
	if out, err := exec.Command(huskrtBin, "spec", "--bundle", dir).CombinedOutput(); err != nil {
		t.Fatalf("huskrt spec: %v %s", err, out)
	}

	b := &bundle{t: t, dir: dir, root: t.TempDir()}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &b.spec); err != nil {
		t.Fatal(err)
	}
	b.spec.Process.Terminal = false
	b.spec.Process.Args = args
	t.Cleanup(b.cleanup)
	return b
}

// layerBlob returns the path of the first layer of a one-image layout.
func layerBlob(t *testing.T, layout string) string {
	t.Helper()
	var index, manifest struct {
		Manifests []struct{ Digest string }
		Layers    []struct{ Digest string }
	}
	readJSON(t, filepath.Join(layout, "index.json"), &index)
	readJSON(t, blobPath(layout, index.Manifests[0].Digest), &manifest)
	return blobPath(layout, manifest.Layers[0].Digest)
}

func blobPath(layout, digest string) string {
	return filepath.Join(layout, "blobs", strings.Replace(digest, ":", "/", 1))
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// write saves the bundle's spec as its config.json.
func (b *bundle) write() {
	data, err := json.MarshalIndent(b.spec, "", " ")
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "config.json"), data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// rt runs huskrt with the bundle's state root and returns what it printed.
// Its output goes to files, as containerd's shim gives it: a container
// created with pipes as its stdio would hold them open, and a caller
// waiting for their end would wait for the container.
func (b *bundle) rt(args ...string) result {
	b.t.Helper()
	// A hung huskrt fails its test, not the whole run.
	ctx, cancel := context.WithTimeout(context.Background(), ociCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, huskrtBin, append([]string{"--root", b.root}, args...)...)
	cmd.Dir = b.dir
	dir := b.t.TempDir()
	out, errf := createFile(b.t, dir, "stdout"), createFile(b.t, dir, "stderr")
	cmd.Stdout, cmd.Stderr = out, errf
	err := cmd.Run()
	out.Close()
	errf.Close()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.t.Fatal(err)
	}
	o, _ := os.ReadFile(out.Name())
	e, _ := os.ReadFile(errf.Name())
	return result{stdout: string(o), stderr: string(e), code: code}
}

func createFile(t *testing.T, dir, name string) *os.File {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// must runs huskrt and fails the test unless it exits 0.
func (b *bundle) must(args ...string) string {
	b.t.Helper()
	r := b.rt(args...)
	if r.code != 0 {
		b.t.Fatalf("huskrt %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// status returns the container's status from `huskrt state`.
func (b *bundle) status(id string) string {
	b.t.Helper()
	var st struct {
		Status string
		Pid    int
	}
	if err := json.Unmarshal([]byte(b.must("state", id)), &st); err != nil {
		b.t.Fatal(err)
	}
	return st.Status
}

// cleanup force-deletes whatever the test left and checks that no state
// remains.
func (b *bundle) cleanup() {
	entries, _ := os.ReadDir(b.root)
	for _, e := range entries {
		b.rt("delete", "--force", e.Name())
	}
	if entries, _ := os.ReadDir(b.root); len(entries) != 0 {
		b.t.Errorf("state left in %s: %v", b.root, entries)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.MarshalIndent(v, "", " ") }

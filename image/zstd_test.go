package image

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestMain builds a husk-zstd from this tree for Decompress to run, as the
// test binary has none beside it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "husk-zstd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, zstdHelperName)
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/husk-zstd").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ../cmd/husk-zstd: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	findZstdHelper = func() (string, error) { return bin, nil }

	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func zstdBytes(t testing.TB, plain []byte) []byte {
	t.Helper()
	var zs bytes.Buffer
	zw, err := zstd.NewWriter(&zs)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(plain)
	zw.Close()
	return zs.Bytes()
}

func TestDecompressZstd(t *testing.T) {
	plain := bytes.Repeat([]byte("layer bytes "), 100000)

	zr, err := Decompress(bytes.NewReader(zstdBytes(t, plain)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	zr.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Fatalf("decompressed %d bytes, want the %d compressed", len(got), len(plain))
	}
}

// TestDecompressZstdCorrupt checks that a damaged stream fails the read
// with the decoder's reason, not with a short, silent end.
func TestDecompressZstdCorrupt(t *testing.T) {
	data := zstdBytes(t, bytes.Repeat([]byte("layer bytes "), 100000))
	data = data[:len(data)/2]

	zr, err := Decompress(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(zr)
	zr.Close()
	if err == nil || !strings.Contains(err.Error(), "husk-zstd") {
		t.Fatalf("reading a truncated zstd stream: %v, want husk-zstd's error", err)
	}
	t.Logf("truncated stream: %v", err)
}

// TestDecompressZstdClose checks that closing before the end stops the
// helper rather than leaving it blocked on its output.
func TestDecompressZstdClose(t *testing.T) {
	zr, err := Decompress(bytes.NewReader(zstdBytes(t, bytes.Repeat([]byte("x"), 8<<20))))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(zr, buf); err != nil {
		t.Fatal(err)
	}
	zr.Close()

	h := zr.(*helperReader)
	if h.cmd.ProcessState == nil {
		t.Fatal("husk-zstd not reaped after Close")
	}
}

// TestLookZstdHelper checks the search in $PATH (the test binary has no
// husk-zstd beside it) and the error that names the helper when it is
// nowhere.
func TestLookZstdHelper(t *testing.T) {
	built, err := findZstdHelper()
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("PATH", t.TempDir()+":"+filepath.Dir(built))
	if got, err := lookZstdHelper(); err != nil || got != built {
		t.Errorf("lookZstdHelper with husk-zstd in $PATH = %q, %v; want %q", got, err, built)
	}

	t.Setenv("PATH", t.TempDir())
	if _, err := lookZstdHelper(); err == nil || !strings.Contains(err.Error(), zstdHelperName) {
		t.Errorf("lookZstdHelper with no husk-zstd anywhere = %v, want an error naming it", err)
	}
}

package image

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkUnpack unpacks the alpine 3.20.3 layer (gzip, about 3.4 MB
// compressed) into a fresh directory per iteration.
func BenchmarkUnpack(b *testing.B) {
	requireRoot(b)
	layer := realLayer(b, testImage(b, "alpine-3.20.3"))
	base := b.TempDir()
	b.SetBytes(int64(len(layer.blob)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dir := filepath.Join(base, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		got, err := Unpack(bytes.NewReader(layer.blob), dir)
		if err != nil || got != layer.diffID {
			b.Fatalf("Unpack = %s, %v; want %s", got, err, layer.diffID)
		}
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

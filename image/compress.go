package image

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// Magic numbers of the compression formats found in images. Media types are
// not trusted for this: docker save writes plain tars whatever the manifest
// said, and some tools mislabel zstd layers.
var (
	gzipMagic  = []byte{0x1f, 0x8b}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	bzip2Magic = []byte("BZh")
	// bzip2's block magic (BCD pi) follows "BZh" and the block-size digit;
	// checking it too keeps a plain tar whose first name starts "BZh" plain.
	bzip2Block = []byte("1AY&SY")
)

// Decompress returns a reader of the decompressed content of r, choosing
// gzip, zstd or no decompression from the first bytes of r. xz and bzip2 are
// recognised and refused. The caller must Close the result; closing does not
// close r.
func Decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(10)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("detect compression: %w", err)
	}
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip stream: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := unzstd(br)
		if err != nil {
			return nil, fmt.Errorf("open zstd stream: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, xzMagic):
		return nil, errors.New("xz compression is not supported")
	case len(magic) == 10 && bytes.HasPrefix(magic, bzip2Magic) && bytes.Equal(magic[4:], bzip2Block):
		return nil, errors.New("bzip2 compression is not supported")
	}
	return io.NopCloser(br), nil
}

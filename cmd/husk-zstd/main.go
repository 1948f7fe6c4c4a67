// Command husk-zstd decompresses a zstd stream from its standard input to
// its standard output. husk runs it for zstd-compressed layers and
// archives (image.Decompress), so that husk itself does not link the zstd
// decoder: that package builds CRC tables when the program starts, which
// cost every husk process, each container start included, about 0.3 ms on
// the machines husk is measured on. It exits 1 with one line on standard
// error when the stream is not valid zstd.
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/klauspost/compress/zstd"
)

func main() {
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: husk-zstd < in.zst > out")
		os.Exit(2)
	}
	if err := decompress(); err != nil {
		fmt.Fprintf(os.Stderr, "husk-zstd: %v\n", err)
		os.Exit(1)
	}
}

func decompress() error {
	zr, err := zstd.NewReader(bufio.NewReaderSize(os.Stdin, 64<<10), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer zr.Close()

	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	if _, err := zr.WriteTo(out); err != nil {
		return err
	}
	return out.Flush()
}

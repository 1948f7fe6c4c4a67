package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"

	"husk/internal/beside"
	"husk/internal/timerslack"
)

// zstdHelperName is the program that decompresses zstd for husk
// (cmd/husk-zstd). The decoder lives in its own binary because linking it
// costs every husk process its start-up tables; only imports need it.
const zstdHelperName = "husk-zstd"

// findZstdHelper locates husk-zstd; tests replace it.
var findZstdHelper = lookZstdHelper

// lookZstdHelper finds husk-zstd beside the running binary, where the
// build puts it, else in $PATH; an entry that is not an executable file
// is passed over.
func lookZstdHelper() (string, error) {
	if p, err := beside.Find(zstdHelperName); err == nil {
		return p, nil
	}
	p, err := exec.LookPath(zstdHelperName)
	if err != nil {
		return "", fmt.Errorf("%s is neither beside this binary nor in $PATH", zstdHelperName)
	}
	return p, nil
}

// unzstd returns the decompressed content of r, decoded by husk-zstd. A
// stream the helper rejects surfaces as a read error carrying its message.
func unzstd(r io.Reader) (io.ReadCloser, error) {
	path, err := findZstdHelper()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path)
	cmd.Stdin = r
	stderr := &limitedBuffer{max: 4 << 10}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := timerslack.Start(cmd.Start); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return &helperReader{cmd: cmd, out: out, stderr: stderr}, nil
}

// helperReader reads a helper's output; at its end it waits for the helper
// and turns a failed exit into the error of the last read.
type helperReader struct {
	cmd    *exec.Cmd
	out    io.ReadCloser
	stderr *limitedBuffer

	once sync.Once
	err  error
}

func (h *helperReader) Read(p []byte) (int, error) {
	n, err := h.out.Read(p)
	if errors.Is(err, io.EOF) {
		if werr := h.wait(); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// Close stops a helper whose output was not read to the end.
func (h *helperReader) Close() error {
	h.cmd.Process.Kill()
	h.wait()
	return nil
}

func (h *helperReader) wait() error {
	h.once.Do(func() {
		if err := h.cmd.Wait(); err != nil {
			if msg := strings.TrimSpace(h.stderr.String()); msg != "" {
				err = errors.New(msg)
			}
			h.err = err
		}
	})
	return h.err
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

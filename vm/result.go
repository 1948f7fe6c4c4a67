package vm

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// The guest reports how its command ended with one line on the console:
//
//	HUSK-VM-RESULT <nonce> exit=<status>
//
// The nonce is new for every boot and reaches the guest on the kernel
// command line only (as husk.nonce=), so output of the command under
// test, which may well print a line that looks like a result, cannot end
// the run: it does not know the nonce.
const resultTag = "HUSK-VM-RESULT"

// nonceParam is the kernel command line parameter carrying the nonce.
const nonceParam = "husk.nonce"

// NewNonce returns a fresh random nonce for one boot.
func NewNonce() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails on Linux (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// ResultLine returns the line a guest prints when its command exited with
// status code.
func ResultLine(nonce string, code int) string {
	return fmt.Sprintf("%s %s exit=%d", resultTag, nonce, code)
}

// ParseResult reads a console line. It returns the exit status and true
// when line is the result line of the boot with this nonce; anything
// before the tag (a kernel message the console interleaved, a carriage
// return) is ignored.
func ParseResult(line, nonce string) (int, bool) {
	i := strings.LastIndex(line, resultTag+" ")
	if i < 0 || nonce == "" {
		return 0, false
	}
	f := strings.Fields(line[i+len(resultTag):])
	if len(f) != 2 || f[0] != nonce || !strings.HasPrefix(f[1], "exit=") {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimPrefix(f[1], "exit="))
	if err != nil || code < 0 || code > 255 {
		return 0, false
	}
	return code, true
}

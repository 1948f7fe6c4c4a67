package cinit

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestOpsMatchHeader checks that the Go numbers are the C ones.
func TestOpsMatchHeader(t *testing.T) {
	data, err := os.ReadFile("../../cmd/husk-init/program.h")
	if err != nil {
		t.Fatal(err)
	}
	defs := regexp.MustCompile(`#define OP_(\w+) (\d+)`).FindAllStringSubmatch(string(data), -1)
	if len(defs) != int(OpExec) {
		t.Fatalf("program.h defines %d ops, Go has %d", len(defs), OpExec)
	}
	for i, d := range defs {
		n, _ := strconv.Atoi(d[2])
		if n != i+1 {
			t.Errorf("OP_%s is %d in program.h, want %d (its place)", d[1], n, i+1)
		}
	}
}

func TestProgramEncoding(t *testing.T) {
	p := New()
	p.Add(OpHostname, "web")
	want := "HUSKPROG" + "\x02\x00\x00\x00" + "15\x00" + "\x01\x00\x00\x00" + "1\x00" + "\x03\x00\x00\x00" + "web\x00"
	if got := string(p.Bytes()); got != want || p.Len() != 1 {
		t.Errorf("encoded %q (%d ops), want %q", got, p.Len(), want)
	}
}

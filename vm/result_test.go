package vm

import "testing"

func TestParseResult(t *testing.T) {
	const nonce = "0123456789abcdef"
	for _, tc := range []struct {
		line string
		code int
		ok   bool
	}{
		{ResultLine(nonce, 0), 0, true},
		{ResultLine(nonce, 137), 137, true},
		{"HUSK-VM-RESULT 0123456789abcdef exit=1\r", 1, true},
		// A kernel message the console wrote on the same line first.
		{"[   21.0] oom-kill:HUSK-VM-RESULT 0123456789abcdef exit=2", 2, true},
		{"  HUSK-VM-RESULT 0123456789abcdef exit=3  ", 3, true},
		// The command under test printing a result of its own: wrong or
		// no nonce.
		{ResultLine("fedcba9876543210", 0), 0, false},
		{"HUSK-VM-RESULT exit=0", 0, false},
		{"HUSK-VM-RESULT  exit=0", 0, false},
		{"HUSK-VM-RESULT 0123456789abcdef exit=", 0, false},
		{"HUSK-VM-RESULT 0123456789abcdef exit=-1", 0, false},
		{"HUSK-VM-RESULT 0123456789abcdef exit=256", 0, false},
		{"HUSK-VM-RESULT 0123456789abcdef exit=0 trailing", 0, false},
		{"HUSK-VM-RESULT 0123456789abcdef status=0", 0, false},
		{"--- PASS: TestX", 0, false},
		{"", 0, false},
	} {
		code, ok := ParseResult(tc.line, nonce)
		if code != tc.code || ok != tc.ok {
			t.Errorf("ParseResult(%q) = %d, %v; want %d, %v", tc.line, code, ok, tc.code, tc.ok)
		}
	}
	if _, ok := ParseResult("HUSK-VM-RESULT  exit=0", ""); ok {
		t.Error("an empty nonce matched")
	}
}

func TestNewNonce(t *testing.T) {
	a, b := NewNonce(), NewNonce()
	if len(a) != 16 || a == b {
		t.Errorf("nonces %q and %q: want 16 hex digits, different each time", a, b)
	}
}

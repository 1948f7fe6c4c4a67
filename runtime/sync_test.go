package runtime

import "testing"

func TestErrnoWords(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"mount /x: \x012\x02", "mount /x: no such file or directory"},
		{"\x0113\x02 then \x0116\x02", "permission denied then device or resource busy"},
		{"no number here", "no number here"},
		{"unterminated \x0112", "unterminated \x0112"},
		{"not a number \x01x\x02", "not a number \x01x\x02"},
	} {
		if got := errnoWords(c.in); got != c.want {
			t.Errorf("errnoWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

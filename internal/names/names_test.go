package names

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	cases := []struct {
		s    string
		max  int
		want bool
	}{
		{"web", 64, true},
		{"a_b.c-d9", 64, true},
		{"9lives", 64, true},
		{"", 64, false},
		{"-web", 64, false},
		{".web", 64, false},
		{"_web", 64, false},
		{"we b", 64, false},
		{"we/b", 64, false},
		{"wé", 64, false},
		{strings.Repeat("a", 64), 64, true},
		{strings.Repeat("a", 65), 64, false},
		{strings.Repeat("a", 128), 128, true},
	}
	for _, c := range cases {
		if got := Valid(c.s, c.max); got != c.want {
			t.Errorf("Valid(%q, %d) = %v, want %v", c.s, c.max, got, c.want)
		}
	}
}

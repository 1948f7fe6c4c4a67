// Package names checks the names users give containers and networks:
// Docker's rule, a letter or digit followed by letters, digits, '_', '.'
// and '-'. It is a loop rather than a regexp because every husk process
// checks a name, and compiling the bounded-repeat regexp cost about half
// a millisecond of each start.
package names

import "fmt"

// Valid reports whether s follows the rule and is at most max bytes long.
func Valid(s string, max int) bool {
	if s == "" || len(s) > max || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Check says why s breaks the rule or is longer than max bytes, in the
// words every husk error about a name uses; nil when it is valid.
func Check(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("longer than %d characters", max)
	case !Valid(s, max):
		return fmt.Errorf("must start with a letter or digit and hold only letters, digits, '_', '.' and '-'")
	}
	return nil
}

package user

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// PasswdEntry is one line of passwd(5).
type PasswdEntry struct {
	Name     string
	Password string
	UID      uint32
	GID      uint32
	Gecos    string
	Home     string
	Shell    string
}

// ParsePasswd reads a passwd(5) file and returns its entries in file order.
// A line needs at least the name, password, uid and gid fields; missing
// trailing fields are empty and fields past the shell are ignored, as busybox
// and Alpine tools tolerate them. A malformed line is a *ParseError with its
// line number. A nil r reads as an empty file.
func ParsePasswd(r io.Reader) ([]PasswdEntry, error) {
	var entries []PasswdEntry
	err := eachLine(r, func(f []string) error {
		if err := checkFields(f, 4); err != nil {
			return err
		}
		uid, err := parseID("uid", f[2])
		if err != nil {
			return err
		}
		gid, err := parseID("gid", f[3])
		if err != nil {
			return err
		}
		entries = append(entries, PasswdEntry{
			Name:     f[0],
			Password: f[1],
			UID:      uid,
			GID:      gid,
			Gecos:    field(f, 4),
			Home:     field(f, 5),
			Shell:    field(f, 6),
		})
		return nil
	})
	return entries, err
}

// GroupEntry is one line of group(5).
type GroupEntry struct {
	Name     string
	Password string
	GID      uint32
	Members  []string // user names, in file order
}

// ParseGroup reads a group(5) file and returns its entries in file order.
// A line needs at least the name, password and gid fields; fields past the
// member list are ignored. Members are trimmed of white space and empty
// ones (as from a trailing comma) are dropped. A malformed line is a
// *ParseError with its line number. A nil r reads as an empty file.
func ParseGroup(r io.Reader) ([]GroupEntry, error) {
	var entries []GroupEntry
	err := eachLine(r, func(f []string) error {
		if err := checkFields(f, 3); err != nil {
			return err
		}
		gid, err := parseID("gid", f[2])
		if err != nil {
			return err
		}
		var members []string
		for _, m := range strings.Split(field(f, 3), ",") {
			if m = strings.TrimSpace(m); m != "" {
				members = append(members, m)
			}
		}
		entries = append(entries, GroupEntry{Name: f[0], Password: f[1], GID: gid, Members: members})
		return nil
	})
	return entries, err
}

// ParseError reports a malformed line of a passwd(5) or group(5) file.
type ParseError struct {
	Line int    // 1-based line number
	Text string // the line, without its newline
	Err  error  // what is wrong with it
}

// Error returns the line number, the line and what is wrong with it.
func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d %q: %v", e.Line, e.Text, e.Err)
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *ParseError) Unwrap() error { return e.Err }

// eachLine calls fn with the colon-separated fields of each line of r that
// holds an entry. Like glibc and Docker it skips blank lines and comments,
// ignores surrounding white space (including the CR of CRLF files) and a
// missing final newline. It also skips NIS compat lines ("+name", "-name",
// "+"), which refer to entries we cannot look up. Lines may be of any
// length: group lines with many members easily pass bufio.Scanner's limit.
func eachLine(r io.Reader, fn func(fields []string) error) error {
	if r == nil {
		return nil
	}
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		raw, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read line %d: %w", n, err)
		}
		line := strings.TrimSpace(raw)
		skip := line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-'
		if !skip {
			if ferr := fn(strings.Split(line, ":")); ferr != nil {
				return &ParseError{Line: n, Text: strings.TrimRight(raw, "\r\n"), Err: ferr}
			}
		}
		if err != nil {
			return nil
		}
	}
}

// field returns fields[i], or "" when the line is shorter.
func field(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}

// parseID parses a uid or gid field of an entry.
func parseID(kind, s string) (uint32, error) {
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number from 0 to %d", kind, s, uint32(1<<32-1))
	}
	return uint32(id), nil
}

// checkFields rejects a line with fewer than min fields or no name.
func checkFields(fields []string, min int) error {
	if len(fields) < min {
		return fmt.Errorf("want at least %d colon-separated fields, have %d", min, len(fields))
	}
	if fields[0] == "" {
		return errors.New("empty name")
	}
	return nil
}

package user

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// junkPasswd has the oddities real files carry: comments, blank lines,
// CRLF, trailing white space and fields, short lines, NIS compat lines and
// no final newline.
const junkPasswd = "# comment\n" +
	"\n" +
	"root:x:0:0:root:/root:/bin/sh\r\n" +
	"  app:x:1000:1000:App,,,:/home/app:/bin/sh:extra:junk  \n" +
	"short:x:1001:1001\n" +
	"+::::::\n" +
	"-baduser\n" +
	"\t\n" +
	"last:*:1002:100:::"

func TestParsePasswdTolerance(t *testing.T) {
	got, err := ParsePasswd(strings.NewReader(junkPasswd))
	if err != nil {
		t.Fatal(err)
	}
	want := []PasswdEntry{
		{Name: "root", Password: "x", UID: 0, GID: 0, Gecos: "root", Home: "/root", Shell: "/bin/sh"},
		{Name: "app", Password: "x", UID: 1000, GID: 1000, Gecos: "App,,,", Home: "/home/app", Shell: "/bin/sh"},
		{Name: "short", Password: "x", UID: 1001, GID: 1001},
		{Name: "last", Password: "*", UID: 1002, GID: 100},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParsePasswd =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseGroupTolerance(t *testing.T) {
	in := "root:x:0:root\nwheel:x:10: root , app,,\r\nempty:x:20:\nbare:x:30\nextra:x:40:a:junk\n# x:x:x\n"
	got, err := ParseGroup(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupEntry{
		{Name: "root", Password: "x", GID: 0, Members: []string{"root"}},
		{Name: "wheel", Password: "x", GID: 10, Members: []string{"root", "app"}},
		{Name: "empty", Password: "x", GID: 20},
		{Name: "bare", Password: "x", GID: 30},
		{Name: "extra", Password: "x", GID: 40, Members: []string{"a"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseGroup =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseLongGroupLine(t *testing.T) {
	members := strings.Repeat("someuser,", 20000) + "app"
	got, err := ParseGroup(strings.NewReader("big:x:5:" + members + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Members) != 20001 {
		t.Errorf("parsed %d entries", len(got))
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		parse          func(string) error
	}{
		{"passwd uid", "root:x:0:0::/:\n\nbob:x:abc:0::/:\n", `line 3 "bob:x:abc:0::/:": uid "abc"`, passwd},
		{"passwd gid", "bob:x:1:-1\n", `line 1 "bob:x:1:-1": gid "-1"`, passwd},
		{"passwd uid too big", "bob:x:4294967296:0\n", `uid "4294967296" is not a number`, passwd},
		{"passwd short", "root:x:0:0\nbob:x:1\n", `line 2 "bob:x:1": want at least 4`, passwd},
		{"passwd no name", ":x:1:1\n", "line 1 \":x:1:1\": empty name", passwd},
		{"group gid", "wheel:x:ten:root\r\n", `line 1 "wheel:x:ten:root": gid "ten"`, group},
		{"group short", "#c\nwheel:x\n", `line 2 "wheel:x": want at least 3`, group},
	} {
		err := tc.parse(tc.in)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want a *ParseError containing %q", tc.name, err, tc.want)
		}
	}
}

func passwd(s string) error {
	_, err := ParsePasswd(strings.NewReader(s))
	return err
}

func group(s string) error {
	_, err := ParseGroup(strings.NewReader(s))
	return err
}

func TestParseNilReaderIsEmpty(t *testing.T) {
	if p, err := ParsePasswd(nil); p != nil || err != nil {
		t.Errorf("ParsePasswd(nil) = %v, %v", p, err)
	}
	if g, err := ParseGroup(nil); g != nil || err != nil {
		t.Errorf("ParseGroup(nil) = %v, %v", g, err)
	}
}

// TestParseImageFiles parses the files of the public images in
// ../shared/images, copied to testdata.
func TestParseImageFiles(t *testing.T) {
	for _, img := range []struct {
		dir            string
		users, groups  int
		lastUser, last string
	}{
		{"alpine", 17, 35, "nobody", "nobody"},
		{"busybox", 9, 26, "nobody", "nobody"},
	} {
		p, err := os.ReadFile("testdata/" + img.dir + "/etc/passwd")
		if err != nil {
			t.Fatal(err)
		}
		g, err := os.ReadFile("testdata/" + img.dir + "/etc/group")
		if err != nil {
			t.Fatal(err)
		}
		users, err := ParsePasswd(strings.NewReader(string(p)))
		if err != nil || len(users) != img.users || users[len(users)-1].Name != img.lastUser {
			t.Errorf("%s passwd: %d entries, err %v", img.dir, len(users), err)
		}
		groups, err := ParseGroup(strings.NewReader(string(g)))
		if err != nil || len(groups) != img.groups || groups[len(groups)-1].Name != img.last {
			t.Errorf("%s group: %d entries, err %v", img.dir, len(groups), err)
		}
	}
}

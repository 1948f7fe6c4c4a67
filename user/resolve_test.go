package user

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// alpineRootGroups are root's supplementary groups in Alpine 3.20: its
// primary group 0 first, then those /etc/group lists it in.
var alpineRootGroups = []uint32{0, 1, 2, 3, 4, 6, 10, 11, 20, 26, 27}

// g lists the supplementary gids a test expects.
func g(gids ...uint32) []uint32 { return gids }

func TestResolveInRootImages(t *testing.T) {
	for _, tc := range []struct {
		root, spec string
		want       User
	}{
		{"alpine", "", User{0, 0, alpineRootGroups, "root", "/root"}},
		{"alpine", "root", User{0, 0, alpineRootGroups, "root", "/root"}},
		{"alpine", "0", User{0, 0, alpineRootGroups, "root", "/root"}},
		// daemon is listed in its own primary group 2 and in bin (1) and
		// adm (4): `docker run -u daemon alpine id` shows groups=2,1,4.
		{"alpine", "daemon", User{2, 2, g(2, 1, 4), "daemon", "/sbin"}},
		{"alpine", "nobody", User{65534, 65534, g(65534), "nobody", "/"}},
		{"alpine", "guest", User{405, 100, g(100), "guest", "/dev/null"}},
		{"alpine", "games", User{35, 35, g(35, 100), "games", "/usr/games"}},
		{"alpine", "35", User{35, 35, g(35, 100), "games", "/usr/games"}},
		// mail's only group is its primary one, which is not repeated.
		{"alpine", "mail", User{8, 12, g(12), "mail", "/var/mail"}},
		{"alpine", "lp:lp", User{4, 7, g(7), "lp", "/var/spool/lpd"}},
		// An explicit group replaces the primary one, leads the list and,
		// as in Docker, keeps the user's supplementary groups.
		{"alpine", "games:wheel", User{35, 10, g(10, 100), "games", "/usr/games"}},
		{"alpine", "games:5000", User{35, 5000, g(5000, 100), "games", "/usr/games"}},
		{"alpine", "games:users", User{35, 100, g(100), "games", "/usr/games"}},
		// root is listed in group root (0), which stays supplementary.
		{"alpine", ":wheel", User{0, 10, g(10, 0, 1, 2, 3, 4, 6, 11, 20, 26, 27), "root", "/root"}},
		{"alpine", "1000", User{1000, 0, g(0), "", "/"}},
		{"alpine", "1000:1000", User{1000, 1000, g(1000), "", "/"}},
		{"alpine", "1000:wheel", User{1000, 10, g(10), "", "/"}},
		{"alpine", "nobody:", User{65534, 65534, g(65534), "nobody", "/"}},
		{"alpine", "2147483647", User{2147483647, 0, g(0), "", "/"}},
		{"busybox", "", User{0, 0, g(0, 10), "root", "/root"}},
		{"busybox", "www-data", User{33, 33, g(33), "www-data", "/var/www"}},
		{"busybox", "sync", User{4, 100, g(100), "sync", "/bin"}},
		{"busybox", "nobody:nobody", User{65534, 65534, g(65534), "nobody", "/home"}},
		{"empty", "", User{0, 0, g(0), "", "/"}},
		{"empty", "123:456", User{123, 456, g(456), "", "/"}},
	} {
		root := filepath.Join("testdata", tc.root)
		if tc.root == "empty" {
			root = t.TempDir()
		}
		got, err := ResolveInRoot(tc.spec, root)
		if err != nil {
			t.Errorf("%s %q: %v", tc.root, tc.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %q = %+v, want %+v", tc.root, tc.spec, got, tc.want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"nosuch", `user "nosuch": no such user in /etc/passwd`},
		{"nosuch:wheel", `user "nosuch": no such user in /etc/passwd`},
		{"games:nosuch", `group "nosuch": no such group in /etc/group`},
		{"1000:nosuch", `group "nosuch": no such group in /etc/group`},
		{"-1", "uid -1 out of range 0 to 2147483647"},
		{"2147483648", "uid 2147483648 out of range"},
		{"99999999999999999999", "uid 99999999999999999999 out of range"},
		{"0:-5", "gid -5 out of range"},
		{"games:4294967295", "gid 4294967295 out of range"},
		{"a:b:c", `user spec "a:b:c": want user[:group]`},
	} {
		_, err := ResolveInRoot(tc.spec, "testdata/alpine")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error = %v, want %q", tc.spec, err, tc.want)
		}
	}
}

func TestResolveInline(t *testing.T) {
	const passwd = `root:x:0:0:root::/bin/sh
app:x:1000:1000:App:/home/app:/bin/sh
app:x:1001:1001:second app wins nothing:/nope:/bin/sh
1000:x:2000:2000:named like a uid:/n:/bin/sh
big:x:3000000000:0::/:
biggid:x:3000:3000000000::/:
`
	const group = `app:x:1000:app
dev:x:500:app,bob,app
dev2:x:500:app
ops:x:600:bob,app
huge:x:3000000001:root
`
	for _, tc := range []struct {
		spec, want string
		user       User
	}{
		// root is a member of huge, whose gid is out of range.
		{spec: "", want: `group "huge": id 3000000001 out of range`},
		// app is listed in group app (its primary gid), dev twice, dev2
		// (another gid 500) and ops: each gid once, the primary first.
		{spec: "app", user: User{1000, 1000, g(1000, 500, 600), "app", "/home/app"}},
		// A number is always a uid, never the name "1000".
		{spec: "1000", user: User{1000, 1000, g(1000, 500, 600), "app", "/home/app"}},
		{spec: "2000", user: User{2000, 2000, g(2000), "1000", "/n"}},
		{spec: "app:ops", user: User{1000, 600, g(600, 500, 1000), "app", "/home/app"}},
		{spec: "big", want: `user "big": id 3000000000 out of range`},
		{spec: "biggid", want: `group of user "biggid": id 3000000000 out of range`},
	} {
		got, err := Resolve(tc.spec, strings.NewReader(passwd), strings.NewReader(group))
		if tc.want != "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: error = %v, want %q", tc.spec, err, tc.want)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.user) {
			t.Errorf("%q = %+v, %v; want %+v", tc.spec, got, err, tc.user)
		}
	}
}

// TestResolvePrimaryGidLeadsAdditionalGids: as in Docker, the primary gid
// (the explicit group's when given) comes first in the supplementary groups,
// whether or not /etc/group lists the user in it, then the others sorted,
// each gid once.
func TestResolvePrimaryGidLeadsAdditionalGids(t *testing.T) {
	const passwd = "root:x:0:0:root:/root:/bin/sh\ndaemon:x:2:2::/sbin:\nsolo:x:7:70::/:\n"
	const group = `root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
adm:x:4:root,daemon
zeta:x:900:solo
alpha:x:50:solo,daemon
`
	for spec, want := range map[string][]uint32{
		"":             {0, 1, 2, 4},
		"daemon":       {2, 1, 4, 50}, // listed in its primary group: not repeated
		"solo":         {70, 50, 900}, // not listed in its primary group: added
		"solo:adm":     {4, 50, 900},  // explicit group by name
		"solo:900":     {900, 50},     // explicit group that is also supplementary
		"daemon:12345": {12345, 1, 2, 4, 50},
		"4242":         {0}, // no passwd entry: gid 0 only
		"4242:33":      {33},
	} {
		u, err := Resolve(spec, strings.NewReader(passwd), strings.NewReader(group))
		if err != nil || !reflect.DeepEqual(u.AdditionalGids, want) {
			t.Errorf("%q: AdditionalGids = %v, %v; want %v", spec, u.AdditionalGids, err, want)
		}
	}
}

func TestResolveEmptyHomeIsSlash(t *testing.T) {
	got, err := Resolve("", strings.NewReader("root:x:0:0::"), nil)
	if err != nil || got.Home != "/" || got.Name != "root" {
		t.Errorf("Resolve = %+v, %v; want root with home /", got, err)
	}
}

func TestResolveParseErrorNamesFile(t *testing.T) {
	_, err := Resolve("", strings.NewReader("root:x:0:0::/:\n"), strings.NewReader("x:x:y\n"))
	if err == nil || !strings.HasPrefix(err.Error(), `parse /etc/group: line 1 "x:x:y"`) {
		t.Errorf("error = %v", err)
	}
	_, err = Resolve("", strings.NewReader("root:x:zero:0"), nil)
	if err == nil || !strings.HasPrefix(err.Error(), `parse /etc/passwd: line 1`) {
		t.Errorf("error = %v", err)
	}
}

func TestResolveInRootUnreadableFile(t *testing.T) {
	root := t.TempDir()
	// A directory where the file should be: open succeeds, read fails.
	if err := os.MkdirAll(filepath.Join(root, "etc/passwd"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := ResolveInRoot("", root)
	if err == nil || !strings.Contains(err.Error(), "etc/passwd") {
		t.Errorf("error = %v, want one naming etc/passwd", err)
	}
}

package rootfs

import (
	"reflect"
	"strings"
	"testing"
)

const sampleMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
31 27 0:28 / /sys/fs/cgroup rw,relatime shared:5 master:2 - tmpfs tmpfs rw,mode=755
40 27 254:0 /srv/with\040space /mnt/with\040space rw - ext4 /dev/vda rw
41 27 0:40 / /run/c/rootfs ro,nosuid master:7 - overlay overlay rw,lowerdir=/l
42 41 0:41 / /run/c/rootfs rw - overlay overlay rw,lowerdir=/m
`

func TestParseMountinfo(t *testing.T) {
	infos, err := parseMountinfo(strings.NewReader(sampleMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 6 {
		t.Fatalf("got %d entries, want 6", len(infos))
	}
	want := mountInfo{
		ID: 31, Parent: 27, Root: "/", MountPoint: "/sys/fs/cgroup",
		Options: "rw,relatime", Optional: []string{"shared:5", "master:2"},
		FSType: "tmpfs", Source: "tmpfs", SuperOptions: "rw,mode=755",
	}
	if !reflect.DeepEqual(infos[2], want) {
		t.Errorf("entry 2 = %+v, want %+v", infos[2], want)
	}
	if infos[3].MountPoint != "/mnt/with space" || infos[3].Root != "/srv/with space" {
		t.Errorf("escapes not undone: %+v", infos[3])
	}
	if len(infos[0].Optional) != 0 {
		t.Errorf("entry 0 optional = %q, want none", infos[0].Optional)
	}
	for i, shared := range []bool{false, true, true, false, false, false} {
		if infos[i].Shared() != shared {
			t.Errorf("entry %d Shared() = %v, want %v", i, infos[i].Shared(), shared)
		}
	}
}

func TestParseMountinfoErrors(t *testing.T) {
	for _, line := range []string{
		"22 27 0:21 / /proc rw,relatime proc proc rw",
		"22 27 0:21 / /proc rw - proc",
		"x 27 0:21 / /proc rw - proc proc rw",
		"22 y 0:21 / /proc rw - proc proc rw",
	} {
		if _, err := parseMountinfo(strings.NewReader(line + "\n")); err == nil {
			t.Errorf("parseMountinfo(%q): no error", line)
		}
	}
}

func TestMountOf(t *testing.T) {
	infos, err := parseMountinfo(strings.NewReader(sampleMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		wantID int
	}{
		{"/", 27},
		{"/tmp/x", 27},
		{"/proc", 22},
		{"/proc/sys", 22},
		{"/procfoo", 27},
		{"/sys/fs/cgroup/memory", 31},
		{"/mnt/with space/a", 40},
		{"/run/c/rootfs", 42}, // the later mount on the same point is on top
		{"/run/c/rootfs/etc", 42},
		{"/run/c", 27},
	}
	for _, tt := range tests {
		m, ok := mountOf(infos, tt.path)
		if !ok || m.ID != tt.wantID {
			t.Errorf("mountOf(%q) = %d, %v; want %d", tt.path, m.ID, ok, tt.wantID)
		}
	}
	if _, ok := mountOf(nil, "/"); ok {
		t.Errorf("mountOf(nil) found a mount")
	}
}

func TestUnescapeOctal(t *testing.T) {
	tests := map[string]string{
		`plain`:          "plain",
		`a\040b`:         "a b",
		`tab\011nl\012`:  "tab\tnl\n",
		`back\134slash`:  `back\slash`,
		`short\04`:       `short\04`,
		`not\999octal`:   `not\999octal`,
		`trailing\`:      `trailing\`,
		`\040\040lead`:   "  lead",
		`mixed\040\x41`:  `mixed \x41`,
		`edge\0401\0402`: "edge 1 2",
	}
	for in, want := range tests {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

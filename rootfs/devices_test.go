package rootfs

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestDevNodes(t *testing.T) {
	u32 := func(v uint32) *uint32 { return &v }
	mode := func(m os.FileMode) *os.FileMode { return &m }
	std := func(path string, major, minor int64) devNode {
		return devNode{Path: path, Type: "c", Major: major, Minor: minor, Mode: 0o666}
	}
	defaults := []devNode{
		std("/dev/null", 1, 3), std("/dev/zero", 1, 5), std("/dev/full", 1, 7),
		std("/dev/random", 1, 8), std("/dev/urandom", 1, 9), std("/dev/tty", 5, 0),
	}
	tests := []struct {
		name string
		devs []specs.LinuxDevice
		want []devNode
	}{
		{name: "standard set", want: defaults},
		{
			name: "spec entry replaces a standard one in place",
			devs: []specs.LinuxDevice{{
				Path: "/dev/tty", Type: "c", Major: 5, Minor: 0,
				FileMode: mode(0o620), UID: u32(0), GID: u32(5),
			}},
			want: append(append([]devNode{}, defaults[:5]...),
				devNode{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0, Mode: 0o620, GID: 5}),
		},
		{
			name: "extra devices follow in spec order, types and modes normalised",
			devs: []specs.LinuxDevice{
				{Path: "/dev/net/tun", Type: "u", Major: 10, Minor: 200},
				{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0, FileMode: mode(os.ModeDevice | 0o660)},
				{Path: "/dev//fifo/", Type: "p", UID: u32(1000), GID: u32(1000)},
			},
			want: append(append([]devNode{}, defaults...),
				devNode{Path: "/dev/net/tun", Type: "c", Major: 10, Minor: 200, Mode: 0o666},
				devNode{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0, Mode: 0o660},
				devNode{Path: "/dev/fifo", Type: "p", Mode: 0o666, UID: 1000, GID: 1000},
			),
		},
		{
			name: "duplicate path: the last entry wins, first position kept",
			devs: []specs.LinuxDevice{
				{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
				{Path: "/dev/kvm", Type: "c", Major: 10, Minor: 232},
				{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: mode(0o600)},
			},
			want: append(append([]devNode{}, defaults...),
				devNode{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, Mode: 0o600},
				devNode{Path: "/dev/kvm", Type: "c", Major: 10, Minor: 232, Mode: 0o666},
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := devNodes(tt.devs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("devNodes\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDevNodesErrors(t *testing.T) {
	tests := []struct {
		dev  specs.LinuxDevice
		want string
	}{
		{specs.LinuxDevice{Path: "dev/null", Type: "c"}, "not absolute"},
		{specs.LinuxDevice{Path: "/dev/..", Type: "c"}, "rootfs itself"},
		{specs.LinuxDevice{Path: "/dev/x", Type: "a"}, "not one of"},
		{specs.LinuxDevice{Path: "/dev/x"}, "not one of"},
	}
	for _, tt := range tests {
		_, err := devNodes([]specs.LinuxDevice{tt.dev})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("devNodes(%+v) error = %v, want it to contain %q", tt.dev, err, tt.want)
		}
	}
}

func TestDevSymlinks(t *testing.T) {
	names := func(ls []devSymlink) map[string]string {
		m := map[string]string{}
		for _, l := range ls {
			m[l.Name] = l.Target
		}
		return m
	}
	want := map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx",
	}
	if got := names(devSymlinks(false)); !reflect.DeepEqual(got, want) {
		t.Errorf("devSymlinks(false) = %v, want %v", got, want)
	}
	want["core"] = "/proc/kcore"
	if got := names(devSymlinks(true)); !reflect.DeepEqual(got, want) {
		t.Errorf("devSymlinks(true) = %v, want %v", got, want)
	}
}

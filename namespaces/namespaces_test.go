package namespaces

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestCloneFlags(t *testing.T) {
	tests := []struct {
		name    string
		ns      []specs.LinuxNamespace
		want    uintptr
		wantErr string
	}{
		{"default", Default(), unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC |
			unix.CLONE_NEWUTS | unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP, ""},
		{"none", nil, 0, ""},
		{"user", []specs.LinuxNamespace{{Type: specs.UserNamespace}}, unix.CLONE_NEWUSER, ""},
		{"unknown", []specs.LinuxNamespace{{Type: "bogus"}}, 0, `unknown namespace type "bogus"`},
		{"twice", []specs.LinuxNamespace{{Type: "pid"}, {Type: "pid"}}, 0, `"pid" listed twice`},
		{"joined", []specs.LinuxNamespace{{Type: "network", Path: "/run/netns/x"}, {Type: "pid"}}, unix.CLONE_NEWPID, ""},
		{"user joined with new", []specs.LinuxNamespace{{Type: "user", Path: "/proc/1/ns/user"}, {Type: "pid"}}, 0, "while creating others"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CloneFlags(tt.ns)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CloneFlags error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CloneFlags = %#x, %v; want %#x", got, err, tt.want)
			}
		})
	}
}

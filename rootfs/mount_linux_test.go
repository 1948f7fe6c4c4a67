package rootfs

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFlagsFromStatfs(t *testing.T) {
	tests := []struct {
		st   int64
		want uintptr
	}{
		{0, 0},
		{
			stRdonly | stNosuid | stNodev | stNoexec,
			unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC,
		},
		{stRelatime, unix.MS_RELATIME},
		{stNoatime | stNodiratime, unix.MS_NOATIME | unix.MS_NODIRATIME},
		{stNosymfollow, unix.MS_NOSYMFOLLOW},
		{0x20 /* ST_WRITE-like bits without a mount flag */, 0},
	}
	for _, tt := range tests {
		if got := flagsFromStatfs(tt.st); got != tt.want {
			t.Errorf("flagsFromStatfs(%#x) = %s, want %s", tt.st, flagNames(got), flagNames(tt.want))
		}
	}
}

func TestMountErrorNamesEveryArgument(t *testing.T) {
	c := mountCall{Source: "tmpfs", FSType: "tmpfs", Flags: unix.MS_NOSUID, Data: "size=1m,bogus"}
	err := mountError(c, "/run/c/rootfs/tmp", unix.EINVAL)
	for _, part := range []string{
		`"tmpfs"`, `"/run/c/rootfs/tmp"`, "MS_NOSUID", `"size=1m,bogus"`, "invalid argument",
	} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %s", err, part)
		}
	}
	if !errors.Is(err, unix.EINVAL) {
		t.Errorf("errors.Is(%v, EINVAL) = false", err)
	}
	prop := mountError(mountCall{Flags: unix.MS_SLAVE | unix.MS_REC}, "/", unix.EINVAL)
	want := `change propagation of "/" to MS_REC|MS_SLAVE`
	if !strings.HasPrefix(prop.Error(), want) {
		t.Errorf("propagation error = %q, want prefix %q", prop, want)
	}
}

func TestRelInRoot(t *testing.T) {
	tests := map[string]string{
		"/":               ".",
		"":                ".",
		"/etc/x":          "etc/x",
		"etc/x/":          "etc/x",
		"/../../etc":      "etc",
		"/a/./b/../c":     "a/c",
		"//dev//pts":      "dev/pts",
		"/proc/self/../1": "proc/1",
	}
	for in, want := range tests {
		if got := relInRoot(in); got != want {
			t.Errorf("relInRoot(%q) = %q, want %q", in, got, want)
		}
	}
}

package rootfs

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptionsFlags(t *testing.T) {
	// Every flag option alone; a clearing option also after its setter.
	for name, f := range flagOptions {
		t.Run(name, func(t *testing.T) {
			got := parseMountOptions([]string{name})
			want := f.flag
			if f.clear {
				want = 0
			}
			if got.Flags != want || got.Propagation != nil || got.RecAttr != nil || got.Data != nil {
				t.Errorf("parse %q = %+v, want flags %s only", name, got, flagNames(want))
			}
			if f.clear && f.flag != 0 {
				// Clearing works against an earlier option that set it.
				setter := ""
				for n, g := range flagOptions {
					if !g.clear && g.flag == f.flag {
						setter = n
					}
				}
				if setter == "" {
					t.Fatalf("no option sets %s", flagNames(f.flag))
				}
				if got := parseMountOptions([]string{setter, name}); got.Flags != 0 {
					t.Errorf("parse %q,%q flags = %s, want 0", setter, name, flagNames(got.Flags))
				}
			}
		})
	}
}

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []string
		want mountOptions
	}{
		{name: "none", opts: nil, want: mountOptions{}},
		{name: "empty and defaults", opts: []string{"", "defaults"}, want: mountOptions{}},
		{
			name: "docker dev tmpfs",
			opts: []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			want: mountOptions{
				Flags: unix.MS_NOSUID | unix.MS_STRICTATIME,
				Data:  []string{"mode=755", "size=65536k"},
			},
		},
		{
			name: "read-only rbind with propagation",
			opts: []string{"rbind", "ro", "rprivate", "nosuid"},
			want: mountOptions{
				Flags:       unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NOSUID,
				Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC},
			},
		},
		{
			name: "later option wins",
			opts: []string{"ro", "rw", "noexec", "exec", "noexec"},
			want: mountOptions{Flags: unix.MS_NOEXEC},
		},
		{
			name: "propagation kept in order",
			opts: []string{"shared", "slave", "unbindable", "rshared", "rslave", "runbindable", "private"},
			want: mountOptions{Propagation: []uintptr{
				unix.MS_SHARED, unix.MS_SLAVE, unix.MS_UNBINDABLE,
				unix.MS_SHARED | unix.MS_REC, unix.MS_SLAVE | unix.MS_REC,
				unix.MS_UNBINDABLE | unix.MS_REC, unix.MS_PRIVATE,
			}},
		},
		{
			name: "atime family",
			opts: []string{"noatime", "nodiratime", "relatime", "lazytime", "sync", "dirsync", "mand"},
			want: mountOptions{Flags: unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME |
				unix.MS_LAZYTIME | unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_MANDLOCK},
		},
		{
			name: "overlay data untouched",
			opts: []string{"lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "index=off"},
			want: mountOptions{Data: []string{"lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "index=off"}},
		},
		{
			name: "recursive read-only and nosuid",
			opts: []string{"rbind", "rro", "rnosuid"},
			want: mountOptions{
				Flags:   unix.MS_BIND | unix.MS_REC,
				RecAttr: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID},
			},
		},
		{
			name: "recursive later wins",
			opts: []string{"rro", "rrw", "rnoexec"},
			want: mountOptions{RecAttr: &unix.MountAttr{
				Attr_set: unix.MOUNT_ATTR_NOEXEC, Attr_clr: unix.MOUNT_ATTR_RDONLY,
			}},
		},
		{
			name: "recursive atime replaces atime",
			opts: []string{"rnoatime", "rstrictatime"},
			want: mountOptions{RecAttr: &unix.MountAttr{
				Attr_set: unix.MOUNT_ATTR_STRICTATIME, Attr_clr: unix.MOUNT_ATTR__ATIME,
			}},
		},
		{
			name: "recursive relatime clears the field",
			opts: []string{"rnoatime", "rrelatime"},
			want: mountOptions{RecAttr: &unix.MountAttr{Attr_clr: unix.MOUNT_ATTR__ATIME}},
		},
		{
			name: "unknown options are data",
			opts: []string{"newinstance", "ptmxmode=0666", "gid=5", "tmpcopyup"},
			want: mountOptions{Data: []string{"newinstance", "ptmxmode=0666", "gid=5", "tmpcopyup"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseMountOptions(tt.opts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseMountOptions(%q)\n got %+v (flags %s)\nwant %+v (flags %s)",
					tt.opts, got, flagNames(got.Flags), tt.want, flagNames(tt.want.Flags))
			}
		})
	}
}

func TestRootPropagation(t *testing.T) {
	tests := []struct {
		in      string
		want    uintptr
		initial uintptr
		wantErr bool
	}{
		{in: "", want: unix.MS_SLAVE | unix.MS_REC, initial: unix.MS_SLAVE | unix.MS_REC},
		{in: "slave", want: unix.MS_SLAVE, initial: unix.MS_SLAVE},
		{in: "rslave", want: unix.MS_SLAVE | unix.MS_REC, initial: unix.MS_SLAVE | unix.MS_REC},
		{in: "shared", want: unix.MS_SHARED, initial: unix.MS_SHARED},
		{in: "rshared", want: unix.MS_SHARED | unix.MS_REC, initial: unix.MS_SHARED | unix.MS_REC},
		{in: "private", want: unix.MS_PRIVATE, initial: unix.MS_PRIVATE},
		{in: "rprivate", want: unix.MS_PRIVATE | unix.MS_REC, initial: unix.MS_PRIVATE | unix.MS_REC},
		{in: "unbindable", want: unix.MS_UNBINDABLE, initial: unix.MS_PRIVATE},
		{
			in: "runbindable", want: unix.MS_UNBINDABLE | unix.MS_REC,
			initial: unix.MS_PRIVATE | unix.MS_REC,
		},
		{in: "rro", wantErr: true},
		{in: "Shared", wantErr: true},
	}
	for _, tt := range tests {
		got, err := rootPropagation(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("rootPropagation(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("rootPropagation(%q) = %s, want %s", tt.in, flagNames(got), flagNames(tt.want))
		}
		if !tt.wantErr && initialPropagation(got) != tt.initial {
			t.Errorf("initialPropagation(%s) = %s, want %s", flagNames(got),
				flagNames(initialPropagation(got)), flagNames(tt.initial))
		}
	}
}

func TestFlagNames(t *testing.T) {
	tests := []struct {
		in   uintptr
		want string
	}{
		{0, "0"},
		{unix.MS_BIND | unix.MS_REC, "MS_BIND|MS_REC"},
		{unix.MS_RDONLY | unix.MS_REMOUNT | unix.MS_BIND, "MS_RDONLY|MS_REMOUNT|MS_BIND"},
		{unix.MS_SLAVE | 1<<30, "MS_SLAVE|0x40000000"},
	}
	for _, tt := range tests {
		if got := flagNames(tt.in); got != tt.want {
			t.Errorf("flagNames(%#x) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package rootfs

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestPlanMount(t *testing.T) {
	const remountBind = unix.MS_BIND | unix.MS_REMOUNT
	tests := []struct {
		name    string
		m       specs.Mount
		cgroup2 bool
		want    mountPlan
	}{
		{
			name: "tmpfs with size",
			m: specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "size=1m", "mode=1777"}},
			want: mountPlan{Dest: "/tmp", Calls: []mountCall{
				{Source: "tmpfs", FSType: "tmpfs", Flags: unix.MS_NOSUID, Data: "size=1m,mode=1777"},
			}},
		},
		{
			name: "bind read-only needs a remount",
			m: specs.Mount{Destination: "/data", Type: "bind", Source: "/srv/data",
				Options: []string{"bind", "ro", "nosuid", "nodev"}},
			want: mountPlan{Dest: "/data", Bind: true, Calls: []mountCall{
				{Source: "/srv/data", FSType: "bind", Flags: unix.MS_BIND},
				{Source: "/srv/data", Flags: remountBind | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV},
			}},
		},
		{
			name: "rbind keeps MS_REC off the remount",
			m: specs.Mount{Destination: "/data", Source: "/srv/data",
				Options: []string{"rbind", "ro"}},
			want: mountPlan{Dest: "/data", Bind: true, Calls: []mountCall{
				{Source: "/srv/data", FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC},
				{Source: "/srv/data", Flags: remountBind | unix.MS_RDONLY},
			}},
		},
		{
			name: "plain rw bind is one call",
			m:    specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/h"},
			want: mountPlan{Dest: "/etc/hosts", Bind: true, Calls: []mountCall{
				{Source: "/h", FSType: "bind", Flags: unix.MS_BIND},
			}},
		},
		{
			name: "propagation after the mount, in order",
			m: specs.Mount{Destination: "/vol", Type: "none", Source: "/v",
				Options: []string{"rbind", "rshared", "nodev"}},
			want: mountPlan{Dest: "/vol", Bind: true, Calls: []mountCall{
				{Source: "/v", FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC},
				{Source: "/v", Flags: remountBind | unix.MS_NODEV},
				{Flags: unix.MS_SHARED | unix.MS_REC},
			}},
		},
		{
			name: "recursive read-only",
			m: specs.Mount{Destination: "/vol", Source: "/v",
				Options: []string{"rbind", "rro"}},
			want: mountPlan{Dest: "/vol", Bind: true, RecAttr: &unix.MountAttr{
				Attr_set: unix.MOUNT_ATTR_RDONLY,
			}, Calls: []mountCall{
				{Source: "/v", FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC},
			}},
		},
		{
			name: "cgroup on a v2 host",
			m: specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
				Options: []string{"ro", "nosuid"}},
			cgroup2: true,
			want: mountPlan{Dest: "/sys/fs/cgroup", Calls: []mountCall{
				{Source: "cgroup2", FSType: "cgroup2", Flags: unix.MS_RDONLY | unix.MS_NOSUID},
			}},
		},
		{
			name: "cgroup on a v1 or hybrid host",
			m: specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
				Options: []string{"ro", "nosuid"}},
			want: mountPlan{Dest: "/sys/fs/cgroup", Calls: []mountCall{
				{Source: "tmpfs", FSType: "tmpfs", Flags: unix.MS_RDONLY | unix.MS_NOSUID, Data: "mode=755"},
			}},
		},
		{
			name: "explicit cgroup2 passes through",
			m:    specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2"},
			want: mountPlan{Dest: "/sys/fs/cgroup", Calls: []mountCall{
				{Source: "cgroup2", FSType: "cgroup2"},
			}},
		},
		{
			name: "sysfs may fall back to the host's",
			m:    specs.Mount{Destination: "/sys", Type: "sysfs", Options: []string{"ro"}},
			want: mountPlan{Dest: "/sys", HostFallback: "/sys", Calls: []mountCall{
				{Source: "sysfs", FSType: "sysfs", Flags: unix.MS_RDONLY},
			}},
		},
		{
			name: "destination is cleaned inside the root",
			m:    specs.Mount{Destination: "proc/../../proc/", Type: "proc", Source: "proc"},
			want: mountPlan{Dest: "/proc", Calls: []mountCall{{Source: "proc", FSType: "proc"}}},
		},
		{
			name: "other types pass data through",
			m: specs.Mount{Destination: "/merged", Type: "overlay", Source: "overlay",
				Options: []string{"lowerdir=/l", "upperdir=/u", "workdir=/w"}},
			want: mountPlan{Dest: "/merged", Calls: []mountCall{
				{Source: "overlay", FSType: "overlay", Data: "lowerdir=/l,upperdir=/u,workdir=/w"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := planMount(tt.m, tt.cgroup2)
			if err != nil {
				t.Fatalf("planMount: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("planMount(%+v)\n got %+v\nwant %+v", tt.m, got, tt.want)
			}
		})
	}
}

func TestPlanMountErrors(t *testing.T) {
	tests := []struct {
		name string
		m    specs.Mount
		want string
	}{
		{"empty destination", specs.Mount{Type: "tmpfs"}, "destination is empty"},
		{"destination is root", specs.Mount{Destination: "/..", Type: "tmpfs"}, "rootfs itself"},
		{"no type, no bind", specs.Mount{Destination: "/x", Source: "/y"}, "no type"},
		{"bind without source", specs.Mount{Destination: "/x", Type: "bind"}, "no source"},
		{
			"data longer than a page",
			specs.Mount{Destination: "/x", Type: "overlay",
				Options: []string{"lowerdir=" + strings.Repeat("/l", 4096)}},
			"mount(2) takes less than",
		},
	}
	for _, tt := range tests {
		_, err := planMount(tt.m, false)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: planMount error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	bad := []specs.Mount{{Destination: "/ok", Type: "tmpfs"}, {}}
	if _, err := planMounts(bad, false); err == nil {
		t.Errorf("planMounts with one bad entry: no error")
	}
}

func TestPlanRoot(t *testing.T) {
	got, err := planRoot("/run/c/rootfs", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := mountPlan{Dest: "/", Bind: true, Calls: []mountCall{
		{Source: "/run/c/rootfs", FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("planRoot(nil) = %+v, want %+v", got, want)
	}
	ov := &specs.Mount{Type: "overlay", Source: "overlay",
		Options: []string{"lowerdir=/a:/b", "upperdir=/u", "workdir=/w"}}
	got, err = planRoot("/run/c/rootfs", ov)
	if err != nil {
		t.Fatal(err)
	}
	want = mountPlan{Dest: "/", Calls: []mountCall{
		{Source: "overlay", FSType: "overlay", Data: "lowerdir=/a:/b,upperdir=/u,workdir=/w"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("planRoot(overlay) = %+v, want %+v", got, want)
	}
}

func TestDevAndProcDecisions(t *testing.T) {
	tmpfsDev := specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"}
	bindDev := specs.Mount{Destination: "/dev", Type: "bind", Source: "/dev",
		Options: []string{"rbind"}}
	proc := specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"}
	bindProc := specs.Mount{Destination: "/proc", Type: "bind", Source: "/proc"}
	tests := []struct {
		name           string
		mounts         []specs.Mount
		wantDev, wantP bool
	}{
		{"defaults", DefaultMounts(), true, true},
		{"nothing", nil, false, false},
		{"tmpfs dev", []specs.Mount{tmpfsDev}, true, false},
		{"bind dev", []specs.Mount{bindDev}, false, false},
		{"bind over tmpfs dev", []specs.Mount{tmpfsDev, bindDev}, false, false},
		{"proc", []specs.Mount{proc}, false, true},
		{"bind proc", []specs.Mount{bindProc}, false, false},
	}
	for _, tt := range tests {
		plans, err := planMounts(tt.mounts, false)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := needsDev(plans); got != tt.wantDev {
			t.Errorf("%s: needsDev = %v, want %v", tt.name, got, tt.wantDev)
		}
		if got := hasProc(plans); got != tt.wantP {
			t.Errorf("%s: hasProc = %v, want %v", tt.name, got, tt.wantP)
		}
	}
}

func TestDefaults(t *testing.T) {
	mounts := DefaultMounts()
	wantDest := []string{
		"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
	}
	if len(mounts) != len(wantDest) {
		t.Fatalf("DefaultMounts has %d entries, want %d", len(mounts), len(wantDest))
	}
	for i, m := range mounts {
		if m.Destination != wantDest[i] {
			t.Errorf("mount %d destination = %q, want %q", i, m.Destination, wantDest[i])
		}
	}
	// Callers get their own copy.
	mounts[0].Destination = "/changed"
	mounts[1].Options[0] = "changed"
	if again := DefaultMounts(); again[0].Destination != "/proc" || again[1].Options[0] != "nosuid" {
		t.Errorf("DefaultMounts shares state between calls")
	}

	masked, readonly := DefaultMaskedPaths(), DefaultReadonlyPaths()
	if len(masked) != 12 || len(readonly) != 5 {
		t.Errorf("got %d masked and %d read-only paths, want 12 and 5", len(masked), len(readonly))
	}
	for _, p := range append(masked, readonly...) {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p {
			t.Errorf("default path %q is not clean and absolute", p)
		}
	}
}

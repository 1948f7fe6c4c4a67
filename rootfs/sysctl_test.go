package rootfs

import "testing"

func TestSysctlPath(t *testing.T) {
	tests := []struct {
		name, want string
		wantErr    bool
	}{
		{name: "net.ipv4.ip_forward", want: "/proc/sys/net/ipv4/ip_forward"},
		{name: "kernel.shmmax", want: "/proc/sys/kernel/shmmax"},
		{name: "fs.mqueue.msg_max", want: "/proc/sys/fs/mqueue/msg_max"},
		{name: "net.ipv4.conf.eth0/100.forwarding", want: "/proc/sys/net/ipv4/conf/eth0.100/forwarding"},
		{name: "net/ipv4/conf/eth0.100/forwarding", want: "/proc/sys/net/ipv4/conf/eth0.100/forwarding"},
		{name: "kernel", want: "/proc/sys/kernel"},
		{name: "", wantErr: true},
		{name: "net..ipv4", wantErr: true},
		{name: ".net.ipv4", wantErr: true},
		{name: "net.ipv4.", wantErr: true},
		{name: "net/../../etc/passwd", wantErr: true},
		{name: "../etc/shadow", wantErr: true},
		{name: "net.ipv4.conf.../..", wantErr: true},
		{name: "net.ipv4.conf/..", wantErr: true},
		{name: "/kernel/hostname", wantErr: true},
	}
	for _, tt := range tests {
		got, err := sysctlPath(tt.name)
		if (err != nil) != tt.wantErr {
			t.Errorf("sysctlPath(%q) = %q, %v; want error %v", tt.name, got, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("sysctlPath(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

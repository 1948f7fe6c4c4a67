package network

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParsePortMapping(t *testing.T) {
	good := map[string]string{
		"8080:80":             "8080:80/tcp",
		"80":                  "0:80/tcp",
		"53:53/udp":           "53:53/udp",
		"127.0.0.1:8080:80":   "127.0.0.1:8080:80/tcp",
		"127.0.0.1::80":       "127.0.0.1:0:80/tcp",
		"0.0.0.0:8080:80/tcp": "8080:80/tcp",
	}
	for in, want := range good {
		p, err := ParsePortMapping(in)
		if err != nil || p.String() != want {
			t.Errorf("parse %q: %v %v, want %s", in, p, err, want)
		}
	}
	bad := map[string]string{
		"8080:0":          "container port",
		"x:80":            "host port",
		"70000:80":        "host port",
		"80/sctp":         "protocol",
		"a:b:c:d":         "want [HOSTIP:]",
		"nothere:8080:80": "host address",
		"[::1]:8080:80":   "want [HOSTIP:]",
		"::1:8080:80":     "want [HOSTIP:]",
	}
	for in, want := range bad {
		if _, err := ParsePortMapping(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parse %q: %v, want an error with %q", in, err, want)
		}
	}
}

func TestCheckPorts(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	other := []*lease{{ContainerID: "c1", Name: "one", Ports: []PortMapping{
		{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		{HostIP: lo, HostPort: 9000, ContainerPort: 80, Protocol: "tcp"},
	}}}
	cases := []struct {
		ports []PortMapping
		want  string // "" for no error
	}{
		{[]PortMapping{{HostPort: 8080, ContainerPort: 1}}, "8080/tcp is already published by container one"},
		{[]PortMapping{{HostPort: 8080, ContainerPort: 1, Protocol: "udp"}}, ""},
		{[]PortMapping{{HostIP: lo, HostPort: 8080, ContainerPort: 1}}, "8080/tcp is already published"},
		{[]PortMapping{{HostIP: netip.MustParseAddr("127.0.0.2"), HostPort: 9000, ContainerPort: 1}}, ""},
		{[]PortMapping{{HostPort: 9000, ContainerPort: 1}}, "9000/tcp is already published"},
		{[]PortMapping{{HostPort: 7000, ContainerPort: 1}, {HostPort: 7000, ContainerPort: 2}}, "published twice"},
		{[]PortMapping{{ContainerPort: 1}, {ContainerPort: 2}}, ""}, // both picked later
		{[]PortMapping{{HostPort: 7000, ContainerPort: 1, Protocol: "icmp"}}, "protocol"},
		{[]PortMapping{{HostIP: netip.MustParseAddr("::1"), HostPort: 7000, ContainerPort: 1}}, "IPv4"},
	}
	for _, c := range cases {
		_, err := checkPorts(c.ports, "c2", other)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v, want %q", c.ports, err, c.want)
		}
	}
	// A container's own mappings never clash with themselves.
	if _, err := checkPorts(other[0].Ports, "c1", other); err != nil {
		t.Errorf("own ports: %v", err)
	}
}

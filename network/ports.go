package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// PortMapping publishes a container port on the host.
type PortMapping struct {
	// HostIP limits the mapping to one of the host's addresses; the zero
	// value takes them all, loopback included.
	HostIP netip.Addr `json:"hostIP,omitzero"`
	// HostPort is the port on the host; 0 asks for a free one, which
	// Attach writes back in the returned Attachment.
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	// Protocol is "tcp" (also for "") or "udp".
	Protocol string `json:"protocol"`
}

// String formats p as ParsePortMapping reads it: [IP:]HOST:CONTAINER/PROTO.
func (p PortMapping) String() string {
	s := fmt.Sprintf("%d:%d/%s", p.HostPort, p.ContainerPort, p.Protocol)
	if p.HostIP.IsValid() {
		s = p.HostIP.String() + ":" + s
	}
	return s
}

// ParsePortMapping reads a -p value as Docker writes it:
// [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]. Without HOSTPORT, or with
// HOSTPORT empty ("127.0.0.1::80"), the host port is picked at Attach.
func ParsePortMapping(s string) (PortMapping, error) {
	spec, proto, _ := strings.Cut(s, "/")
	p := PortMapping{Protocol: proto}
	parts := strings.Split(spec, ":")
	if len(parts) > 3 {
		return p, fmt.Errorf("port mapping %q: want [HOSTIP:][HOSTPORT:]CONTAINERPORT[/PROTO]", s)
	}
	if len(parts) == 3 {
		ip, err := netip.ParseAddr(parts[0])
		if err != nil {
			return p, fmt.Errorf("port mapping %q: host address %q: %w", s, parts[0], err)
		}
		p.HostIP, parts = ip, parts[1:]
	}
	port := func(what, v string) (uint16, error) {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil || n == 0 {
			return 0, fmt.Errorf("port mapping %q: %s port %q: want a number from 1 to 65535", s, what, v)
		}
		return uint16(n), nil
	}
	var err error
	if len(parts) == 2 && parts[0] != "" {
		if p.HostPort, err = port("host", parts[0]); err != nil {
			return p, err
		}
	}
	if p.ContainerPort, err = port("container", parts[len(parts)-1]); err != nil {
		return p, err
	}
	return normalizePort(p)
}

// normalizePort fills in the protocol and refuses what no rule can express.
func normalizePort(p PortMapping) (PortMapping, error) {
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	if p.Protocol != "tcp" && p.Protocol != "udp" {
		return p, fmt.Errorf("port mapping %s: protocol %q: want tcp or udp", p, p.Protocol)
	}
	if p.ContainerPort == 0 {
		return p, fmt.Errorf("port mapping %s: the container port is missing", p)
	}
	if p.HostIP.IsValid() && p.HostIP.Unmap().IsUnspecified() {
		p.HostIP = netip.Addr{}
	}
	if p.HostIP.IsValid() {
		if p.HostIP = p.HostIP.Unmap(); !p.HostIP.Is4() {
			return p, fmt.Errorf("port mapping %s: only IPv4 host addresses are supported", p)
		}
	}
	return p, nil
}

// clash reports whether two mappings would catch the same packets.
func clash(a, b PortMapping) bool {
	return a.Protocol == b.Protocol && a.HostPort == b.HostPort && a.HostPort != 0 &&
		(!a.HostIP.IsValid() || !b.HostIP.IsValid() || a.HostIP == b.HostIP)
}

// checkPorts normalizes ports and refuses one that clashes with another of
// the request or with a mapping of another live container.
func checkPorts(ports []PortMapping, id string, leases []*lease) ([]PortMapping, error) {
	out := make([]PortMapping, len(ports))
	for i, p := range ports {
		p, err := normalizePort(p)
		if err != nil {
			return nil, err
		}
		for _, q := range out[:i] {
			if clash(p, q) {
				return nil, fmt.Errorf("host port %d/%s is published twice (%s and %s)",
					p.HostPort, p.Protocol, q, p)
			}
		}
		for _, l := range leases {
			for _, q := range l.Ports {
				if l.ContainerID != id && clash(p, q) {
					return nil, fmt.Errorf("host port %d/%s is already published by container %s (%s)",
						p.HostPort, p.Protocol, l.Name, q)
				}
			}
		}
		out[i] = p
	}
	return out, nil
}

// probePort binds the mapping's host port to learn whether a socket of the
// host already holds it, and picks a free port for HostPort 0. The socket
// is closed at once: husk's DNAT rule takes the port over from then on.
func probePort(p PortMapping) (PortMapping, error) {
	host := "0.0.0.0"
	if p.HostIP.IsValid() {
		host = p.HostIP.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(p.HostPort)))
	var bound net.Addr
	var err error
	if p.Protocol == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp4", addr); err == nil {
			bound = c.LocalAddr()
			c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp4", addr); err == nil {
			bound = l.Addr()
			l.Close()
		}
	}
	if errors.Is(err, unix.EADDRINUSE) {
		return p, fmt.Errorf("host port %d/%s is in use on the host: %w", p.HostPort, p.Protocol, err)
	}
	if err != nil {
		return p, fmt.Errorf("publish host port %s: %w", p, err)
	}
	if p.HostPort == 0 {
		ap, err := netip.ParseAddrPort(bound.String())
		if err != nil {
			return p, fmt.Errorf("read the port picked for %s: %w", p, err)
		}
		p.HostPort = ap.Port()
	}
	return p, nil
}

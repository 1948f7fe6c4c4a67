package network

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
)

func addrPort(a *Attachment, port string) string {
	return net.JoinHostPort(a.Address.Addr().String(), port)
}

// TestUserNetwork runs two containers on a user network the way husk runs
// them (Prepare, then Attach) and checks every path a packet can take.
func TestUserNetwork(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	n, err := m.Create("app", "")
	if err != nil {
		t.Fatal(err)
	}
	// 10.89.0.0/16 went to the default network (10.88.0.0/16 is routed by
	// the test host), so user networks start after it.
	if n.Subnet.String() != "10.90.0.0/24" || n.Bridge != "husk1" {
		t.Fatalf("network app: subnet %s on %s, want 10.90.0.0/24 on husk1", n.Subnet, n.Bridge)
	}

	db, web := startContainer(t), startContainer(t)
	files, err := m.Prepare(Container{ID: "db", Name: "db", Hostname: "db-host"})
	if err != nil {
		t.Fatal(err)
	}
	if ip := lookupHosts(t, files.Hosts, "db-host"); ip != "127.0.1.1" {
		t.Errorf("prepared hosts file: db-host is %q, want 127.0.1.1", ip)
	}
	resolv, _ := os.ReadFile(files.ResolvConf)
	if r := string(resolv); !strings.Contains(r, "nameserver 198.51.100.53\n") || strings.Contains(r, "127.0.0.53") {
		t.Errorf("resolv.conf should name the stub's upstream server only:\n%s", resolv)
	}
	before, _ := os.Stat(files.Hosts)

	aDB := attach(t, m, db, "db", "app")
	aWeb := attach(t, m, web, "web", "app", PortMapping{HostPort: 8080, ContainerPort: 80})
	serve(t, db, ":80", "db")
	serve(t, web, ":80", "web")
	internet := &container{cmd: world.internet, pid: world.internet.Process.Pid}
	serve(t, internet, remoteAddr+":9000", "internet")
	gw := n.Gateway.String()

	t.Run("eth0", func(t *testing.T) {
		l, addrs := containerLink(t, web, "eth0")
		if len(addrs) != 1 || addrs[0] != aWeb.Address || aWeb.Address.Bits() != 24 {
			t.Errorf("web's eth0 has %v, attachment says %s", addrs, aWeb.Address)
		}
		if l.Attrs().MTU != testUplinkMTU {
			t.Errorf("eth0 MTU %d, want the uplink's %d", l.Attrs().MTU, testUplinkMTU)
		}
		if lo, _ := containerLink(t, web, "lo"); lo.Attrs().Flags&net.FlagUp == 0 {
			t.Error("lo is down in the container")
		}
		if aWeb.Gateway != n.Gateway || aWeb.Bridge != "husk1" {
			t.Errorf("attachment: gateway %s bridge %s", aWeb.Gateway, aWeb.Bridge)
		}
		if got, err := m.Get("web"); err != nil || got.Address != aWeb.Address || len(got.Ports) != 1 {
			t.Errorf("get web: %+v, %v", got, err)
		}
	})
	t.Run("by address", func(t *testing.T) {
		expectReply(t, web, addrPort(aDB, "80"), "db "+aWeb.Address.Addr().String())
	})
	t.Run("by name", func(t *testing.T) {
		ip := lookupHosts(t, aWeb.Files.Hosts, "db")
		if ip != aDB.Address.Addr().String() {
			t.Fatalf("web's hosts file gives db as %q, want %s", ip, aDB.Address.Addr())
		}
		expectReply(t, web, net.JoinHostPort(ip, "80"), "db "+aWeb.Address.Addr().String())
		// db was attached first: its file learnt of web when web joined,
		// rewritten in place so a bind mount of it shows the change.
		if ip := lookupHosts(t, files.Hosts, "web"); ip != aWeb.Address.Addr().String() {
			t.Errorf("db's hosts file gives web as %q, want %s", ip, aWeb.Address.Addr())
		}
		if after, _ := os.Stat(files.Hosts); !os.SameFile(before, after) {
			t.Error("db's hosts file was replaced, not rewritten in place")
		}
		if ip := lookupHosts(t, files.Hosts, "host.husk.internal"); ip != gw {
			t.Errorf("host.husk.internal is %q, want the gateway %s", ip, gw)
		}
	})
	t.Run("published port", func(t *testing.T) {
		// From the host's loopback, masqueraded to the gateway on the way.
		expectReply(t, nil, "127.0.0.1:8080", "web "+gw)
		expectReply(t, nil, hostAddr+":8080", "web "+hostAddr)
		// From the internet, keeping the client's address.
		expectReply(t, internet, hostAddr+":8080", "web "+remoteAddr)
		// From another container (hairpin).
		expectReply(t, db, hostAddr+":8080", "web "+gw)
	})
	t.Run("outbound masquerade", func(t *testing.T) {
		expectReply(t, web, remoteAddr+":9000", "internet "+hostAddr)
	})
	t.Run("detach", func(t *testing.T) {
		if err := m.Detach("web"); err != nil {
			t.Fatal(err)
		}
		if ip := lookupHosts(t, files.Hosts, "web"); ip != "" {
			t.Errorf("db's hosts file still names web (%s)", ip)
		}
		for _, r := range huskRules(t) {
			if strings.Contains(r, "web") {
				t.Errorf("rule %q left after web's detach", r)
			}
		}
		if _, err := netlink.LinkByName(aWeb.HostVeth); err == nil {
			t.Errorf("veth %s left after detach", aWeb.HostVeth)
		}
		if _, err := dial(nil, "127.0.0.1:8080"); err == nil {
			t.Error("port 8080 still answers after detach")
		}
		if err := m.Detach("web"); err != nil {
			t.Errorf("second detach: %v", err)
		}
	})
}

// TestDefaultNetwork attaches without naming a network: husk0, a subnet
// the host does not route, no names for the neighbours.
func TestDefaultNetwork(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	a, b := startContainer(t), startContainer(t)
	attA := attach(t, m, a, "a", "")
	attB := attach(t, m, b, "b", "")
	if attA.Bridge != DefaultBridge || attA.Network != DefaultNetwork {
		t.Errorf("attached to %s on %s", attA.Network, attA.Bridge)
	}
	if attA.Address.String() != "10.89.0.2/16" || attB.Address.String() != "10.89.0.3/16" {
		t.Errorf("addresses %s and %s, want 10.89.0.2/16 and 10.89.0.3/16", attA.Address, attB.Address)
	}
	serve(t, b, ":80", "b")
	expectReply(t, a, addrPort(attB, "80"), "b "+attA.Address.Addr().String())
	if ip := lookupHosts(t, attA.Files.Hosts, "b"); ip != "" {
		t.Errorf("the default network gives names: b is %s", ip)
	}
	if ip := lookupHosts(t, attA.Files.Hosts, "a-host"); ip != attA.Address.Addr().String() {
		t.Errorf("a's own hostname is %q in its hosts file", ip)
	}
	n, members, err := m.Inspect(DefaultNetwork)
	if err != nil || n.Bridge != DefaultBridge || len(members) != 2 {
		t.Errorf("inspect: %+v, %d members, %v", n, len(members), err)
	}
}

// TestNetworkDefinitions checks what Create and Remove refuse.
func TestNetworkDefinitions(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	refused := []struct{ name, subnet, want string }{
		{"routed", "10.88.1.0/24", "taken0"},
		{"bad/name", "", "network name"},
		{"none", "", "reserved"},
		{"host-bits", "10.1.2.3/24", "10.1.2.0/24"},
		{"v6", "fd00::/64", "IPv4"},
		{"overlaps-default", "10.89.7.0/24", `network "bridge"`},
	}
	for _, c := range refused {
		if _, err := m.Create(c.name, c.subnet); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("create %s %q: %v, want an error naming %q", c.name, c.subnet, err, c.want)
		}
	}
	if _, err := m.Create("x", "10.150.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create("x", ""); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second create of x: %v", err)
	}
	if _, err := m.Create("y", "10.150.0.0/25"); err == nil || !strings.Contains(err.Error(), `network "x"`) {
		t.Errorf("create y overlapping x: %v", err)
	}
	if err := m.Remove(DefaultNetwork); err == nil {
		t.Error("the default network was removed")
	}
	if err := m.Remove("nope"); !errors.Is(err, ErrNoNetwork) {
		t.Errorf("remove a missing network: %v", err)
	}
	c := startContainer(t)
	attach(t, m, c, "user", "x")
	if err := m.Remove("x"); err == nil || !strings.Contains(err.Error(), "user") {
		t.Errorf("remove a network in use: %v", err)
	}
	if err := m.Detach("user"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("x"); err != nil {
		t.Fatal(err)
	}
	if nets, _ := m.List(); len(nets) != 1 || nets[0].Name != DefaultNetwork {
		t.Errorf("networks after removing x: %v", nets)
	}
}

// TestPortTaken publishes ports that a host socket or another container
// holds.
func TestPortTaken(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	l, err := net.Listen("tcp4", ":9090")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c1, c2 := startContainer(t), startContainer(t)
	if _, err := m.Prepare(Container{ID: "c1", Name: "c1"}); err != nil {
		t.Fatal(err)
	}
	_, err = m.Attach(t.Context(), AttachOptions{Container: Container{ID: "c1", Name: "c1"}, Pid: c1.pid,
		Ports: []PortMapping{{HostPort: 9090, ContainerPort: 80}}})
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "9090/tcp is in use on the host") {
		t.Errorf("publish a port a host socket holds: %v", err)
	}
	if links := huskLinks(t); len(links) > 0 || huskRules(t) != nil {
		t.Errorf("a failed attach left links %v or rules %v", links, huskRules(t))
	}
	if _, err := os.Stat(m.files("c1").Hosts); err != nil {
		t.Errorf("a failed attach removed the prepared files: %v", err)
	}

	attach(t, m, c1, "c1", "", PortMapping{HostPort: 8081, ContainerPort: 80})
	_, err = m.Attach(t.Context(), AttachOptions{Container: Container{ID: "c2", Name: "c2"}, Pid: c2.pid,
		Ports: []PortMapping{{HostPort: 8081, ContainerPort: 81}}})
	if err == nil || !strings.Contains(err.Error(), "8081/tcp is already published by container c1") {
		t.Errorf("publish a port another container holds: %v", err)
	}
	a := attach(t, m, c2, "c2", "", PortMapping{ContainerPort: 80}, PortMapping{HostPort: 8081,
		ContainerPort: 53, Protocol: "udp"})
	if p := a.Ports[0].HostPort; p == 0 || p == 8081 {
		t.Fatalf("picked host port %d", p)
	}
	serve(t, c2, ":80", "c2")
	expectReply(t, nil, "127.0.0.1:"+strconv.Itoa(int(a.Ports[0].HostPort)), "c2 "+a.Gateway.String())
}

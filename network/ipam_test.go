package network

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	fields := " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21\n"
	state, start, err := parseStat([]byte("4242 (we) ird (name)" + fields))
	if err != nil || state != 'S' || start != 987654 {
		t.Errorf("got %c %d %v", state, start, err)
	}
	bad := []string{"", "12 (x", "12 (x) S 1 2",
		"12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x 20"}
	for _, bad := range bad {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestOwnerAlive(t *testing.T) {
	self, err := processOwner(os.Getpid())
	if err != nil || !self.alive() {
		t.Fatalf("this process is not alive: %+v %v", self, err)
	}
	reused := self
	reused.StartTime++
	if reused.alive() {
		t.Error("a pid with another start time counts as the owner")
	}
	if (owner{}).alive() || (owner{NetnsPath: "/nonexistent"}).alive() {
		t.Error("an empty or missing owner is alive")
	}
}

func TestAllocate(t *testing.T) {
	n := &Network{Name: "tiny", Subnet: netip.MustParsePrefix("10.9.0.0/29"),
		Gateway: netip.MustParseAddr("10.9.0.1")}
	var leases []*lease
	var got []string
	for {
		a, err := allocate(n, leases)
		if err != nil {
			if !strings.Contains(err.Error(), `network "tiny": no free address left in 10.9.0.0/29`) {
				t.Errorf("error %v", err)
			}
			break
		}
		got = append(got, a.String())
		leases = append(leases, &lease{Network: "tiny", Address: netip.PrefixFrom(a, 29)})
	}
	// .0 network, .1 gateway, .7 broadcast.
	if strings.Join(got, " ") != "10.9.0.2 10.9.0.3 10.9.0.4 10.9.0.5 10.9.0.6" {
		t.Errorf("allocated %v", got)
	}
	leases = leases[1:] // release .2: the lowest free comes back first
	leases = append(leases, &lease{Network: "other", Address: netip.MustParsePrefix("10.9.0.2/29")})
	if a, err := allocate(n, leases); err != nil || a.String() != "10.9.0.2" {
		t.Errorf("after a release: %v %v", a, err)
	}
}

func TestParseSubnet(t *testing.T) {
	if p, err := parseSubnet("10.90.0.0/24"); err != nil || p.String() != "10.90.0.0/24" {
		t.Errorf("got %v %v", p, err)
	}
	for s, want := range map[string]string{
		"10.90.0.1/24": "did you mean 10.90.0.0/24", "10.0.0.0/31": "between 8 and 30",
		"fd00::/64": "IPv4", "bogus": "not a CIDR", "::ffff:10.0.0.0/104": "IPv4",
	} {
		if _, err := parseSubnet(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parse %q: %v, want %q", s, err, want)
		}
	}
}

func TestPickSubnet(t *testing.T) {
	taken := []takenPrefix{
		{netip.MustParsePrefix("10.88.0.0/16"), "podman"},
		{netip.MustParsePrefix("10.89.3.0/24"), "vpn"},
		{netip.MustParsePrefix("0.0.0.0/1"), "wide"}, // covers nothing of 10/8? it does: 0-127
	}
	if _, err := pickSubnet(defaultCandidates, taken); err == nil {
		t.Error("picked a subnet inside a taken 0.0.0.0/1")
	}
	taken = taken[:2]
	if p, _ := pickSubnet(defaultCandidates, taken); p.String() != "10.90.0.0/16" {
		t.Errorf("default: %s", p) // 10.89.0.0/16 overlaps the vpn's /24
	}
	if p, _ := pickSubnet(userCandidates, taken); p.String() != "10.89.0.0/24" {
		t.Errorf("user: %s", p)
	}
	if t0, ok := overlap(netip.MustParsePrefix("10.89.0.0/16"), taken); !ok || t0.owner != "vpn" {
		t.Errorf("overlap: %+v %v", t0, ok)
	}
}

func TestVethName(t *testing.T) {
	n := vethName("4f2c1e0d9b8a")
	if len(n) != 15 || !isVethName(n) || n != vethName("4f2c1e0d9b8a") || n == vethName("other") {
		t.Errorf("veth name %q", n)
	}
	for _, s := range []string{"husk0", "husk1", "eth0", "huskzzzzzzzzzzz", "husk1234567890ab"} {
		if isVethName(s) {
			t.Errorf("%q taken for a veth", s)
		}
	}
}

func TestPlanNAT(t *testing.T) {
	nets := []*Network{
		{Name: "bridge", Bridge: "husk0", Subnet: netip.MustParsePrefix("10.88.0.0/16")},
		{Name: "empty", Bridge: "husk1", Subnet: netip.MustParsePrefix("10.89.0.0/24")},
	}
	leases := []*lease{
		{ContainerID: "1", Name: "web", Network: "bridge", Address: netip.MustParsePrefix("10.88.0.2/16"),
			Ports: []PortMapping{{HostPort: 80, ContainerPort: 8080, Protocol: "tcp"}}},
		{ContainerID: "2", Name: "prepared"},
	}
	p := planNAT(nets, leases)
	if len(p.nets) != 1 || p.nets[0].bridge != "husk0" {
		t.Errorf("networks with NAT: %+v", p.nets)
	}
	if len(p.dnats) != 1 || p.dnats[0].to.String() != "10.88.0.2" || p.dnats[0].comment != "container web (1)" {
		t.Errorf("dnat: %+v", p.dnats)
	}
	if p := planNAT(nets, leases[1:]); len(p.nets)+len(p.dnats) != 0 {
		t.Errorf("a plan without attached containers: %+v", p)
	}
}

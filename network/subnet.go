package network

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// parseSubnet parses an IPv4 network in CIDR form, refusing a host address
// ("10.1.2.3/24") and prefixes too wide or too narrow to hold containers.
func parseSubnet(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("subnet %q: not a CIDR network such as 10.90.0.0/24", s)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("subnet %q: only IPv4 networks are supported", s)
	}
	if p.Bits() < 8 || p.Bits() > 30 {
		return netip.Prefix{}, fmt.Errorf("subnet %q: the prefix length must be between 8 and 30", s)
	}
	if p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("subnet %q: not a network address: did you mean %s?",
			s, p.Masked())
	}
	return p, nil
}

// takenPrefix is a range of addresses a new network must not overlap, with
// a description of what uses it for error messages.
type takenPrefix struct {
	prefix netip.Prefix
	owner  string
}

// overlap returns the first of taken that overlaps p.
func overlap(p netip.Prefix, taken []takenPrefix) (takenPrefix, bool) {
	for _, t := range taken {
		if t.prefix.Overlaps(p) {
			return t, true
		}
	}
	return takenPrefix{}, false
}

// pickSubnet returns the first candidate that overlaps nothing taken.
func pickSubnet(candidates iter.Seq[netip.Prefix], taken []takenPrefix) (netip.Prefix, error) {
	for c := range candidates {
		if _, ok := overlap(c, taken); !ok {
			return c, nil
		}
	}
	return netip.Prefix{}, errors.New("no free subnet left in 10.88.0.0-10.200.255.255: " +
		"give one explicitly")
}

// defaultCandidates are the subnets tried for the default network:
// 10.88.0.0/16 (podman's default) to 10.200.0.0/16.
func defaultCandidates(yield func(netip.Prefix) bool) {
	for b := 88; b <= 200; b++ {
		if !yield(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(b), 0, 0}), 16)) {
			return
		}
	}
}

// userCandidates are the subnets tried for user networks: the /24s from
// 10.89.0.0/24 to 10.200.255.0/24, as podman hands them out.
func userCandidates(yield func(netip.Prefix) bool) {
	for b := 89; b <= 200; b++ {
		for c := 0; c <= 255; c++ {
			if !yield(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(b), byte(c), 0}), 24)) {
				return
			}
		}
	}
}

// hostPrefixes lists the IPv4 destinations the host already routes, in
// every routing table, except default routes: a network overlapping one of
// them would capture or lose traffic meant for it.
func hostPrefixes() ([]takenPrefix, error) {
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4,
		&netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("list the host's routes: %w", err)
	}
	var out []takenPrefix
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		addr, ok := netip.AddrFromSlice(r.Dst.IP)
		ones, _ := r.Dst.Mask.Size()
		if !ok || ones == 0 {
			continue
		}
		owner := "a route of the host"
		if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
			owner = "a route of the host via " + l.Attrs().Name
		}
		out = append(out, takenPrefix{netip.PrefixFrom(addr.Unmap(), ones).Masked(), owner})
	}
	return out, nil
}

// freeBridgeName returns the first of husk1, husk2... that no network uses
// and no link of the host is called.
func freeBridgeName(all []*Network) (string, error) {
	used := map[string]bool{}
	for _, n := range all {
		used[n.Bridge] = true
	}
	for i := 1; i < 10000; i++ {
		name := fmt.Sprintf("husk%d", i)
		if used[name] {
			continue
		}
		if _, err := netlink.LinkByName(name); err != nil {
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) {
				return name, nil
			}
			return "", fmt.Errorf("look up link %q: %w", name, err)
		}
	}
	return "", errors.New("no free bridge name from husk1 to husk9999")
}

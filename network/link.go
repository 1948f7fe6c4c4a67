package network

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// containerIf is the name of the container's end of its veth pair.
const containerIf = "eth0"

// vethName is the host end of a container's veth pair: "husk" and 11 hex
// digits of a hash of the id, 15 bytes, the longest name a link can have.
func vethName(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "husk" + hex.EncodeToString(sum[:])[:11]
}

// isVethName reports whether name has the form vethName gives.
func isVethName(name string) bool {
	rest, ok := strings.CutPrefix(name, "husk")
	if !ok || len(rest) != 11 {
		return false
	}
	_, err := hex.DecodeString(rest + "0")
	return err == nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func notFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

// uplinkMTU is the MTU of the interface of the host's IPv4 default route,
// or 1500 when there is none: a container's packets cannot leave the host
// larger than that without being fragmented or dropped.
func uplinkMTU() int {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return 1500
	}
	for _, r := range routes {
		if r.Dst != nil {
			if ones, _ := r.Dst.Mask.Size(); ones != 0 {
				continue
			}
		}
		idx := r.LinkIndex
		if idx == 0 && len(r.MultiPath) > 0 {
			idx = r.MultiPath[0].LinkIndex
		}
		if l, err := netlink.LinkByIndex(idx); err == nil && l.Attrs().MTU > 0 {
			return l.Attrs().MTU
		}
	}
	return 1500
}

// ensureBridge makes n's bridge exist, up, with the gateway address, and
// lets it route 127.0.0.0/8 sources: a published port reached on the
// host's loopback is DNATed out of this bridge with its 127.0.0.1 source,
// masqueraded only afterwards (net.ipv4.conf.BRIDGE.route_localnet, only
// for this bridge).
func ensureBridge(n *Network, mtu int) (netlink.Link, error) {
	br, err := netlink.LinkByName(n.Bridge)
	if notFound(err) {
		slog.Debug("create bridge", "bridge", n.Bridge, "subnet", n.Subnet, "mtu", mtu)
		err = netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge, MTU: mtu}})
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("create bridge %q: %w", n.Bridge, err)
		}
		br, err = netlink.LinkByName(n.Bridge)
	}
	if err != nil {
		return nil, fmt.Errorf("look up bridge %q: %w", n.Bridge, err)
	}
	if br.Type() != "bridge" {
		return nil, fmt.Errorf("link %q of network %q exists and is a %s, not a bridge",
			n.Bridge, n.Name, br.Type())
	}
	gw := netip.PrefixFrom(n.Gateway, n.Subnet.Bits())
	err = netlink.AddrAdd(br, &netlink.Addr{IPNet: ipNet(gw)})
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("add address %s to bridge %q: %w", gw, n.Bridge, err)
	}
	if err := sysctl("net/ipv4/conf/"+n.Bridge+"/route_localnet", "1"); err != nil {
		return nil, err
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("bring up bridge %q: %w", n.Bridge, err)
	}
	return br, nil
}

// sysctl sets a /proc/sys/ value of the calling thread's network
// namespace, writing only when it differs.
func sysctl(key, value string) error {
	path := "/proc/sys/" + key
	old, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(old)) == value {
		return nil
	}
	slog.Debug("set sysctl", "key", strings.ReplaceAll(key, "/", "."), "value", value)
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("set sysctl %s=%s: %w", strings.ReplaceAll(key, "/", "."), value, err)
	}
	return nil
}

// openNetns opens the network namespace a container is attached by: its
// init's, checked to still be the process o names, or the one at a path.
func openNetns(o owner) (netns.NsHandle, error) {
	if o.Pid == 0 {
		ns, err := netns.GetFromPath(o.NetnsPath)
		if err != nil {
			return netns.None(), fmt.Errorf("open network namespace %q: %w", o.NetnsPath, err)
		}
		return ns, nil
	}
	ns, err := netns.GetFromPid(o.Pid)
	if err != nil {
		return netns.None(), fmt.Errorf("open network namespace of pid %d: %w", o.Pid, err)
	}
	if !o.alive() { // the pid was reused between the check and the open
		ns.Close()
		return netns.None(), fmt.Errorf("open network namespace of pid %d: the process exited", o.Pid)
	}
	return ns, nil
}

// addVeth creates a veth pair with host on the bridge and its peer, eth0,
// straight in the container's namespace, so no temporary name can clash
// on the host.
func addVeth(host string, br netlink.Link, ns netns.NsHandle, mtu int) error {
	slog.Debug("create veth", "veth", host, "bridge", br.Attrs().Name, "mtu", mtu)
	v := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: host, MTU: mtu, MasterIndex: br.Attrs().Index},
		PeerName:  containerIf, PeerMTU: uint32(mtu), PeerNamespace: netlink.NsFd(int(ns)),
	}
	if err := netlink.LinkAdd(v); err != nil {
		return fmt.Errorf("create veth %q on bridge %q: %w", host, br.Attrs().Name, err)
	}
	if err := netlink.LinkSetUp(v); err != nil {
		return fmt.Errorf("bring up veth %q: %w", host, err)
	}
	return nil
}

// configureContainer gives the container's eth0 its address and the
// default route through the gateway, and brings eth0 and lo up, through a
// netlink socket opened inside the container's namespace.
func configureContainer(ns netns.NsHandle, addr netip.Prefix, gw netip.Addr) error {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("open netlink in the container's network namespace: %w", err)
	}
	defer h.Close()
	for _, name := range []string{"lo", containerIf} {
		l, err := h.LinkByName(name)
		if err != nil {
			return fmt.Errorf("look up %s in the container: %w", name, err)
		}
		if name == containerIf {
			if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipNet(addr)}); err != nil {
				return fmt.Errorf("add address %s to the container's %s: %w", addr, name, err)
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("bring up the container's %s: %w", name, err)
		}
		if name == containerIf {
			r := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: gw.AsSlice()}
			if err := h.RouteAdd(r); err != nil {
				return fmt.Errorf("add the container's default route via %s: %w", gw, err)
			}
		}
	}
	return nil
}

// deleteLink removes a link by name; one already gone is no error.
func deleteLink(name string) error {
	l, err := netlink.LinkByName(name)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up link %q: %w", name, err)
	}
	slog.Debug("delete link", "link", name)
	if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete link %q: %w", name, err)
	}
	return nil
}

// strayVeths lists the veths of husk's naming on the given bridges that
// keep is false for: left by a container whose lease is gone.
func strayVeths(bridges []string, keep map[string]bool) ([]string, error) {
	idx := map[int]bool{}
	for _, b := range bridges {
		if l, err := netlink.LinkByName(b); err == nil {
			idx[l.Attrs().Index] = true
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	links, err := netlink.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []string
	for _, l := range links {
		a := l.Attrs()
		if l.Type() == "veth" && idx[a.MasterIndex] && isVethName(a.Name) && !keep[a.Name] {
			out = append(out, a.Name)
		}
	}
	return out, nil
}

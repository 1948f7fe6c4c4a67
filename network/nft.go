package network

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// TableName is husk's nftables table, of family ip. husk writes no rule
// anywhere else and never reads or changes another table.
const TableName = "husk"

// natPlan is what husk's table must hold: masquerade per network that has
// containers, one DNAT rule per published port.
type natPlan struct {
	nets  []natNet
	dnats []dnat
}

type natNet struct {
	bridge string
	subnet netip.Prefix
}

type dnat struct {
	port    PortMapping
	to      netip.Addr
	comment string
}

// planNAT derives the rules from the live attached leases; the table is
// always rebuilt whole from them, so a crash never leaves a rule that the
// next rebuild keeps.
func planNAT(networks []*Network, leases []*lease) natPlan {
	var p natPlan
	for _, n := range networks {
		users := onNetwork(leases, n.Name)
		if len(users) == 0 {
			continue
		}
		p.nets = append(p.nets, natNet{n.Bridge, n.Subnet})
		for _, l := range users {
			for _, port := range l.Ports {
				p.dnats = append(p.dnats, dnat{port, l.Address.Addr(),
					fmt.Sprintf("container %s (%s)", l.Name, l.ContainerID)})
			}
		}
	}
	return p
}

// applyNAT replaces husk's table by the plan in one nftables transaction:
// the table is added (a no-op when it exists) and deleted, so the delete
// cannot fail on a missing table, then built again unless the plan is
// empty. Packets never see a half-built table. nft(8) shows the result as:
//
//	table ip husk {
//	  chain prerouting  { type nat hook prerouting priority dstnat; fib daddr type local jump ports }
//	  chain output      { type nat hook output priority -100; fib daddr type local jump ports }
//	  chain ports       { [ip daddr HOSTIP] meta l4proto P th dport HP dnat to IP:CP  (each port) }
//	  chain postrouting { type nat hook postrouting priority srcnat
//	    ip saddr SUBNET ip daddr != SUBNET masquerade                   outbound
//	    oifname BRIDGE ct status dnat ip saddr SUBNET masquerade        hairpin
//	    oifname BRIDGE ct status dnat ip saddr 127.0.0.0/8 masquerade   host loopback
//	  }
//	}
func applyNAT(p natPlan) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("open nftables: %w", err)
	}
	t := &nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv4}
	if len(p.nets) == 0 {
		// Nothing to delete either: leave nftables alone, so that a host
		// without containers (or without nf_tables) never sees husk there.
		_, err := c.ListTableOfFamily(TableName, nftables.TableFamilyIPv4)
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
	}
	c.AddTable(t)
	c.DelTable(t)
	if len(p.nets) > 0 {
		buildTable(c, t, p)
	}
	slog.Debug("nftables table husk", "networks", len(p.nets), "ports", len(p.dnats))
	if err := c.Flush(); err != nil {
		return fmt.Errorf("replace nftables table ip %s: %w", TableName, err)
	}
	return nil
}

func buildTable(c *nftables.Conn, t *nftables.Table, p natPlan) {
	c.AddTable(t)
	base := func(name string, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
		return c.AddChain(&nftables.Chain{Name: name, Table: t, Type: nftables.ChainTypeNAT,
			Hooknum: hook, Priority: prio})
	}
	pre := base("prerouting", nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest)
	out := base("output", nftables.ChainHookOutput, nftables.ChainPriorityNATDest)
	post := base("postrouting", nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource)
	ports := c.AddChain(&nftables.Chain{Name: "ports", Table: t})

	add := func(ch *nftables.Chain, comment string, exprs ...[]expr.Any) {
		r := &nftables.Rule{Table: t, Chain: ch}
		for _, e := range exprs {
			r.Exprs = append(r.Exprs, e...)
		}
		if comment != "" {
			r.UserData = userdata.AppendString(nil, userdata.TypeComment, comment)
		}
		c.AddRule(r)
	}
	toPorts := []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: ports.Name}}
	add(pre, "", localDst(), toPorts)
	add(out, "", localDst(), toPorts)

	for _, d := range p.dnats {
		var match []expr.Any
		if d.port.HostIP.IsValid() {
			match = ipMatch(16, netip.PrefixFrom(d.port.HostIP, 32), expr.CmpOpEq)
		}
		add(ports, d.comment, match, portMatch(d.port), dnatTo(d.to, d.port.ContainerPort))
	}
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	masq := []expr.Any{&expr.Masq{}}
	for _, n := range p.nets {
		add(post, "outbound from "+n.bridge,
			ipMatch(12, n.subnet, expr.CmpOpEq), ipMatch(16, n.subnet, expr.CmpOpNeq), masq)
		add(post, "hairpin on "+n.bridge,
			oifName(n.bridge), ctDNAT(), ipMatch(12, n.subnet, expr.CmpOpEq), masq)
		add(post, "host loopback to "+n.bridge,
			oifName(n.bridge), ctDNAT(), ipMatch(12, loopback, expr.CmpOpEq), masq)
	}
}

// localDst matches packets for one of the host's own addresses (fib daddr
// type local), loopback included.
func localDst() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

// ipMatch compares the IPv4 address at offset (12 source, 16 destination)
// of the network header, masked to p's length, with p.
func ipMatch(offset uint32, p netip.Prefix, op expr.CmpOp) []expr.Any {
	mask := ipNet(p).Mask
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: op, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}

// portMatch matches the mapping's protocol and destination port.
func portMatch(p PortMapping) []expr.Any {
	proto := byte(unix.IPPROTO_TCP)
	if p.Protocol == "udp" {
		proto = unix.IPPROTO_UDP
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(p.HostPort)},
	}
}

func dnatTo(addr netip.Addr, port uint16) []expr.Any {
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: addr.AsSlice()},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(port)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4,
			RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}

// oifName matches the output interface by name, NUL-padded as the kernel
// stores it.
func oifName(name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b},
	}
}

// ctDNAT matches connections whose destination was rewritten (ct status
// dnat); the status word is in host byte order.
func ctDNAT() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}

// ipsDstNAT is IPS_DST_NAT of linux/netfilter/nf_conntrack_common.h.
const ipsDstNAT = 1 << 5

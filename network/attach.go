package network

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// NoNetwork is the network of a container with only a loopback interface:
// attaching to it just hands the container's files to the container's
// process, so they outlive the husk that prepared them.
const NoNetwork = "none"

// Container names a container to this package.
type Container struct {
	ID       string // husk's container id
	Name     string // its name, by which peers on a user network reach it
	Hostname string // written to /etc/hostname and beside its address in /etc/hosts
}

// AttachOptions describe a container to attach to a network.
type AttachOptions struct {
	Container
	// Network is the network's name: DefaultNetwork when empty, or
	// NoNetwork.
	Network string
	// Pid is the container's init, whose network namespace gets eth0 and
	// whose life the lease follows. Alternatively NetnsPath names a
	// network namespace file (/run/netns/NAME) and the lease lives as long
	// as that file.
	Pid       int
	NetnsPath string
	// Ports are published on the host.
	Ports []PortMapping
}

// Attachment is a container's place on a network.
type Attachment struct {
	Container
	Network  string
	Bridge   string
	Address  netip.Prefix // the address of the container's eth0
	Gateway  netip.Addr   // its default route, the bridge's address
	HostVeth string       // the host's end of its veth pair
	Ports    []PortMapping
	Files    Files
}

func (m *Manager) attachment(l *lease, n *Network) *Attachment {
	a := &Attachment{Container: Container{l.ContainerID, l.Name, l.Hostname}, Network: l.Network,
		Address: l.Address, HostVeth: l.HostVeth, Ports: l.Ports, Files: m.files(l.ContainerID)}
	if n != nil {
		a.Bridge, a.Gateway = n.Bridge, n.Gateway
	}
	return a
}

// ErrNotAttached is returned by Get for a container with no record here.
var ErrNotAttached = errors.New("container has no network record")

// Get returns the attachment of a container: its network and address, or
// only its files when it was prepared but not attached (Network empty)
// or attached to NoNetwork. A container sharing another's namespace
// (--network container:NAME) bind-mounts that one's files.
func (m *Manager) Get(containerID string) (*Attachment, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	l, err := m.lease(containerID)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("container %q: %w", containerID, ErrNotAttached)
	}
	if !l.attached() {
		return m.attachment(l, nil), nil
	}
	n, err := m.network(l.Network)
	if err != nil {
		return nil, err
	}
	return m.attachment(l, n), nil
}

// Prepare writes the files of container c (/etc/hosts with its hostname on
// 127.0.1.1 until it is attached, the host's resolv.conf made usable,
// /etc/hostname) and returns their paths for the engine to bind-mount. The
// record it leaves belongs to the calling process until Attach hands it to
// the container, and is reclaimed if this process dies first.
func (m *Manager) Prepare(c Container) (Files, error) {
	if err := checkID(c.ID); err != nil {
		return Files{}, err
	}
	unlock, err := m.lock()
	if err != nil {
		return Files{}, err
	}
	defer unlock()
	old, err := m.lease(c.ID)
	if err != nil {
		return Files{}, err
	}
	if old != nil && old.attached() {
		if old.Owner.alive() {
			return Files{}, fmt.Errorf("container %q is already attached to network %q", c.ID, old.Network)
		}
		if err := m.release(old); err != nil {
			return Files{}, err
		}
	}
	self, err := processOwner(os.Getpid())
	if err != nil {
		return Files{}, err
	}
	l := &lease{ContainerID: c.ID, Name: c.Name, Hostname: c.Hostname, Owner: self}
	if err := m.saveLease(l); err != nil {
		return Files{}, err
	}
	if err := m.writeFiles(l, nil, nil); err != nil {
		return Files{}, err
	}
	return m.files(c.ID), nil
}

// Attach connects a container's network namespace to a network: the
// bridge is made if needed, a veth pair joins it to the namespace as eth0
// with the next free address and a default route via the gateway, lo is
// brought up, ip_forward is switched on, the NAT rules are rebuilt with the
// container's published ports, and the hosts files of the network's
// members are rewritten. A published port already taken, by another
// container or by a socket of the host, fails the call naming the port.
// On failure nothing of the attachment is left; a lease from Prepare
// stays. Leases of dead containers are reclaimed first.
func (m *Manager) Attach(ctx context.Context, o AttachOptions) (*Attachment, error) {
	if err := checkID(o.ID); err != nil {
		return nil, err
	}
	if (o.Pid == 0) == (o.NetnsPath == "") {
		return nil, fmt.Errorf("attach container %q: give exactly one of Pid and NetnsPath", o.ID)
	}
	if o.Network == "" {
		o.Network = DefaultNetwork
	}
	own, err := ownerOf(o)
	if err != nil {
		return nil, fmt.Errorf("attach container %q: %w", o.ID, err)
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	leases, _, err := m.reap(o.ID)
	if err != nil {
		return nil, err
	}
	prev := find(leases, o.ID)
	if prev != nil && prev.attached() {
		return nil, fmt.Errorf("container %q is already attached to network %q", o.ID, prev.Network)
	}
	l := &lease{ContainerID: o.ID, Name: o.Name, Hostname: o.Hostname, Owner: own}
	if prev != nil {
		l.Name, l.Hostname = cmp.Or(l.Name, prev.Name), cmp.Or(l.Hostname, prev.Hostname)
	}
	if o.Network == NoNetwork {
		if len(o.Ports) > 0 {
			return nil, fmt.Errorf("container %q: ports cannot be published without a network", o.ID)
		}
		l.Network = NoNetwork
		if err := m.saveLease(l); err != nil {
			return nil, err
		}
		if err := m.writeFiles(l, nil, nil); err != nil {
			return nil, err
		}
		return m.attachment(l, nil), nil
	}

	n, err := m.network(o.Network)
	if err != nil {
		return nil, err
	}
	if err := m.reserve(l, n, o.Ports, leases); err != nil {
		return nil, err
	}
	if err := m.saveLease(l); err != nil {
		return nil, err
	}
	leases = append(without(leases, o.ID), l)
	err = m.plumb(ctx, l, n)
	if err == nil {
		err = m.writeFiles(l, n, onNetwork(leases, n.Name))
	}
	if err == nil {
		err = m.sync(leases)
	}
	if err != nil {
		m.rollback(l, prev, without(leases, o.ID))
		return nil, fmt.Errorf("attach container %q to network %q: %w", o.ID, n.Name, err)
	}
	slog.DebugContext(ctx, "attached", "container", o.ID, "network", n.Name, "address", l.Address)
	return m.attachment(l, n), nil
}

// ownerOf identifies what the lease of an attach follows.
func ownerOf(o AttachOptions) (owner, error) {
	if o.Pid != 0 {
		return processOwner(o.Pid)
	}
	var st unix.Stat_t
	if err := unix.Stat(o.NetnsPath, &st); err != nil {
		return owner{}, &os.PathError{Op: "stat", Path: o.NetnsPath, Err: err}
	}
	return owner{NetnsPath: o.NetnsPath, NetnsDev: st.Dev, NetnsIno: st.Ino}, nil
}

// reserve fills in l's address, veth and ports on n, checking its ports
// against the live leases and the host's sockets.
func (m *Manager) reserve(l *lease, n *Network, ports []PortMapping, leases []*lease) error {
	ports, err := checkPorts(ports, l.ContainerID, leases)
	if err != nil {
		return err
	}
	for i := range ports {
		if ports[i], err = probePort(ports[i]); err != nil {
			return err
		}
	}
	// A port the kernel picked may still be another container's mapping.
	if l.Ports, err = checkPorts(ports, l.ContainerID, leases); err != nil {
		return err
	}
	addr, err := allocate(n, leases)
	if err != nil {
		return err
	}
	l.Network, l.HostVeth = n.Name, vethName(l.ContainerID)
	l.Address = netip.PrefixFrom(addr, n.Subnet.Bits())
	for _, other := range leases {
		if other.ContainerID != l.ContainerID && other.HostVeth == l.HostVeth {
			return fmt.Errorf("container %q: veth name %q is taken by container %q",
				l.ContainerID, l.HostVeth, other.ContainerID)
		}
	}
	return nil
}

// plumb makes the links of an attachment.
func (m *Manager) plumb(ctx context.Context, l *lease, n *Network) error {
	mtu := uplinkMTU()
	br, err := ensureBridge(n, mtu)
	if err != nil {
		return err
	}
	if err := sysctl("net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	ns, err := openNetns(l.Owner)
	if err != nil {
		return err
	}
	defer ns.Close()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := addVeth(l.HostVeth, br, ns, mtu); err != nil {
		return err
	}
	return configureContainer(ns, l.Address, n.Gateway)
}

// rollback undoes a failed attach: its veth goes, the lease returns to
// what Prepare wrote (or goes), and rules and hosts files follow.
func (m *Manager) rollback(l, prev *lease, leases []*lease) {
	err := deleteLink(l.HostVeth)
	if prev != nil {
		err = errors.Join(err, m.saveLease(prev))
	} else {
		err = errors.Join(err, m.removeLease(l.ContainerID),
			os.RemoveAll(m.path("containers", l.ContainerID)))
	}
	if err = errors.Join(err, m.sync(leases)); err != nil {
		slog.Warn("undo a failed attach", "container", l.ContainerID, "error", err)
	}
}

func find(leases []*lease, id string) *lease {
	for _, l := range leases {
		if l.ContainerID == id {
			return l
		}
	}
	return nil
}

func without(leases []*lease, id string) []*lease {
	out := make([]*lease, 0, len(leases))
	for _, l := range leases {
		if l.ContainerID != id {
			out = append(out, l)
		}
	}
	return out
}

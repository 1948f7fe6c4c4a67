package network

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
)

// Detach removes a container from its network: the veth pair, the lease,
// its NAT rules and its files go, the hosts files of the network's other
// members lose it, and a bridge left without containers is deleted.
// Detaching a container that has nothing here is no error, so the engine
// may call it on every exit and removal.
func (m *Manager) Detach(containerID string) error {
	if err := checkID(containerID); err != nil {
		return err
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	l, err := m.lease(containerID)
	if err != nil || l == nil {
		return err
	}
	leases, released, err := m.reap(containerID)
	if err != nil {
		return err
	}
	if err := m.release(l); err != nil {
		return err
	}
	slog.Debug("detached", "container", containerID, "network", l.Network)
	if !l.attached() && released == 0 {
		return nil // it held no address, veth or rule: the host has nothing to change
	}
	return m.sync(without(leases, containerID))
}

// GC removes what belongs to containers whose process is gone: their
// veths, leases, NAT rules and files; it rebuilds husk's nftables table
// from the live leases, rewrites the hosts files of the live containers
// and deletes bridges with no container. The engine calls it at every
// start, so a crash's leftovers last until the next husk command at most.
//
// Every veth, address and rule is made after its lease is saved and
// removed before its lease is deleted, so a crash leaves a lease behind;
// with none to reclaim, the host is as the live leases say and GC
// returns without asking the kernel (about 1 ms of every husk command).
func (m *Manager) GC() error {
	// Most husk commands run with no lease at all: no lock then.
	if entries, err := os.ReadDir(m.path("leases")); err == nil && len(entries) == 0 {
		return nil
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	leases, released, err := m.reap("")
	if err != nil || released == 0 {
		return err
	}
	err = m.sync(leases)
	return errors.Join(err, m.removeStrays(leases))
}

// reap releases the leases whose owner is gone, except keep's, and returns
// the others and how many it released. A lease that cannot be released is
// logged and left for the next reap: one stuck veth must not stop new
// containers.
func (m *Manager) reap(keep string) ([]*lease, int, error) {
	all, err := m.leases()
	if err != nil {
		return nil, 0, err
	}
	var live []*lease
	released := 0
	for _, l := range all {
		if l.ContainerID == keep || l.Owner.alive() {
			live = append(live, l)
			continue
		}
		slog.Debug("reclaim lease of a dead container", "container", l.ContainerID,
			"network", l.Network, "address", l.Address, "pid", l.Owner.Pid)
		if err := m.release(l); err != nil {
			slog.Warn("reclaim lease of a dead container", "container", l.ContainerID, "error", err)
		}
		released++
	}
	return live, released, nil
}

// release deletes what one lease holds, the lease last, so that a failure
// leaves it to be tried again.
func (m *Manager) release(l *lease) error {
	if l.HostVeth != "" {
		if err := deleteLink(l.HostVeth); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(m.path("containers", l.ContainerID)); err != nil {
		return fmt.Errorf("remove files of container %q: %w", l.ContainerID, err)
	}
	return m.removeLease(l.ContainerID)
}

// sync makes the host match the live leases: husk's nftables table, the
// hosts files of attached containers, and no bridge without containers.
func (m *Manager) sync(leases []*lease) error {
	nets, err := m.networks()
	if err != nil {
		return err
	}
	errs := []error{applyNAT(planNAT(nets, leases))}
	for _, n := range nets {
		users := onNetwork(leases, n.Name)
		if len(users) == 0 {
			errs = append(errs, deleteLink(n.Bridge))
		}
		for _, u := range users {
			errs = append(errs, m.writeHosts(u, n, users))
		}
	}
	return errors.Join(errs...)
}

// removeStrays deletes what no lease names: files directories, and veths
// of husk's naming on husk's bridges (a veth normally goes with its
// container's namespace, but a namespace kept alive by a bind mount keeps
// it too).
func (m *Manager) removeStrays(leases []*lease) error {
	ids, veths := map[string]bool{}, map[string]bool{}
	for _, l := range leases {
		ids[l.ContainerID] = true
		veths[l.HostVeth] = true
	}
	var errs []error
	entries, err := os.ReadDir(m.path("containers"))
	if err != nil {
		return fmt.Errorf("list container files: %w", err)
	}
	for _, e := range entries {
		if !ids[e.Name()] {
			errs = append(errs, os.RemoveAll(m.path("containers", e.Name())))
		}
	}
	nets, err := m.networks()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	var bridges []string
	for _, n := range nets {
		bridges = append(bridges, n.Bridge)
	}
	stray, err := strayVeths(bridges, veths)
	errs = append(errs, err)
	for _, name := range stray {
		errs = append(errs, deleteLink(name))
	}
	return errors.Join(errs...)
}

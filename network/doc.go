// Package network gives husk's containers a network the way podman's bridge
// mode does: a Linux bridge per network (husk0 for the default network
// "bridge"), a veth pair per container with the container's end named eth0
// in its network namespace, addresses from a small IPAM kept on disk, and
// NAT in an nftables table husk owns: masquerade for outbound traffic and
// DNAT for published ports, including from the host's loopback and from
// other containers (hairpin). It also writes each container's /etc/hosts,
// /etc/resolv.conf and /etc/hostname, which the engine bind-mounts;
// containers on the same user network find each other by name through
// those hosts files, rewritten in place as members come and go.
//
// Everything is done with netlink (github.com/vishvananda/netlink) and
// nftables netlink messages (github.com/google/nftables); nothing shells out
// to ip(8), iptables(8) or nft(8).
//
// # Use
//
// A Manager is opened on a state directory (husk keeps it at
// /var/lib/husk/networks). Its calls take an flock(2) lock on that
// directory, so concurrent husk processes see one consistent set of
// networks and leases. For one container, the engine calls:
//
//  1. Prepare, before the container's init is created: it writes the
//     container's hosts, resolv.conf and hostname files and returns their
//     paths, to bind-mount over /etc/hosts, /etc/resolv.conf and
//     /etc/hostname. The files exist from then on; later changes rewrite
//     them in place, so the bind mounts always show the current content.
//  2. Attach, once the init exists in its new network namespace and before
//     it is started: the container gets eth0, an address, a default route
//     and its published ports. For --network none, Attach to NoNetwork only
//     hands the files to the container's process (the init brings up lo).
//  3. Detach, when the container has exited or is removed: the veth, the
//     lease, the NAT rules and the files go. Detach is idempotent.
//  4. GC, at every husk start: whatever belonged to a container whose
//     process is gone (husk was killed, the machine lost power) is removed.
//     Attach does the same for leases before it allocates.
//
// # Ownership
//
// A lease follows one process: the one that called Prepare until Attach,
// then the container's init, identified by pid and start time so a reused
// pid is not mistaken for the container. A lease whose process is gone is
// dead and is reclaimed. husk only ever changes its own nftables table
// ("ip husk"), its own bridges and the veths it created; the one host-wide
// setting it changes is net.ipv4.ip_forward, switched on at the first
// Attach and left on, as Docker and podman do.
//
// # Limits
//
// IPv4 only; one network per container. Host mode needs nothing from this
// package (the engine drops the network namespace); a container:NAME
// container joins NAME's namespace and bind-mounts NAME's files, found with
// Get. One netns is served by one state directory: two husk roots
// on one host would fight over husk0 and the nftables table.
package network

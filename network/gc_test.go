package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestParallelAttach attaches 50 containers at once: each gets its own
// address, and detaching them all leaves nothing behind.
func TestParallelAttach(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	const n = 50
	ctrs := make([]*container, n)
	for i := range ctrs {
		ctrs[i] = startContainer(t)
	}
	atts := make([]*Attachment, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ctrs {
		wg.Go(func() {
			id := "p" + strconv.Itoa(i)
			atts[i], errs[i] = m.Attach(t.Context(), AttachOptions{
				Container: Container{ID: id, Name: id}, Pid: ctrs[i].pid,
				Ports: []PortMapping{{HostPort: uint16(20000 + i), ContainerPort: 80}}})
		})
	}
	wg.Wait()
	seen := map[string]string{}
	for i, a := range atts {
		if errs[i] != nil {
			t.Fatalf("attach p%d: %v", i, errs[i])
		}
		if other, dup := seen[a.Address.String()]; dup {
			t.Errorf("p%d and %s both got %s", i, other, a.Address)
		}
		seen[a.Address.String()] = a.ID
		if _, err := netlink.LinkByName(a.HostVeth); err != nil {
			t.Errorf("veth of p%d: %v", i, err)
		}
	}
	if rules := huskRules(t); len(rules) != n+2+3 { // ports, 2 jumps, 3 per network
		t.Errorf("%d rules for %d containers: %q", len(rules), n, rules)
	}

	for i := range ctrs {
		wg.Go(func() { errs[i] = m.Detach("p" + strconv.Itoa(i)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("detach p%d: %v", i, err)
		}
	}
	assertClean(t, m.root)
}

// TestGCAfterCrash drops a Manager without detaching, as a killed husk
// would, kills containers, and checks that GC, or the next allocation,
// reclaims exactly what belonged to the dead ones.
func TestGCAfterCrash(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	if _, err := m.Create("crash", "10.150.0.0/24"); err != nil {
		t.Fatal(err)
	}
	a, b, c := startContainer(t), startContainer(t), startContainer(t)
	attA := attach(t, m, a, "a", "", PortMapping{HostPort: 8082, ContainerPort: 80})
	attach(t, m, b, "b", "", PortMapping{HostPort: 8083, ContainerPort: 80})
	attC := attach(t, m, c, "c", "crash", PortMapping{HostPort: 8084, ContainerPort: 80})

	// a's namespace outlives a's process, as when something holds it open:
	// its veth does not vanish by itself, GC must delete it.
	heldNs, err := netns.GetFromPid(a.pid)
	if err != nil {
		t.Fatal(err)
	}
	defer heldNs.Close()
	a.kill()
	b.kill()

	m2, err := Open(m.root, WithResolvConf(world.resolv, world.upstream))
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.GC(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := os.Stat(m.leasePath(id)); err == nil {
			t.Errorf("lease of dead container %s left", id)
		}
		if _, err := os.Stat(m.files(id).Hosts); err == nil {
			t.Errorf("files of dead container %s left", id)
		}
	}
	if _, err := netlink.LinkByName(attA.HostVeth); err == nil {
		t.Errorf("veth %s of dead container a left", attA.HostVeth)
	}
	if _, err := netlink.LinkByName(DefaultBridge); err == nil {
		t.Errorf("bridge %s left without containers", DefaultBridge)
	}
	rules := strings.Join(huskRules(t), "\n")
	if strings.Contains(rules, "container a ") || strings.Contains(rules, "container b ") ||
		!strings.Contains(rules, "container c ") {
		t.Errorf("rules after GC should be c's only:\n%s", rules)
	}

	// The next allocation reclaims c's lease without a GC.
	c.kill()
	d := startContainer(t)
	attD := attach(t, m2, d, "d", "crash")
	if attD.Address != attC.Address {
		t.Errorf("d got %s, want dead c's %s", attD.Address, attC.Address)
	}
	if _, err := os.Stat(m.leasePath("c")); err == nil {
		t.Error("lease of dead container c left after the next attach")
	}
	if strings.Contains(strings.Join(huskRules(t), "\n"), "container c ") {
		t.Error("rules of dead container c left after the next attach")
	}
}

// TestAttachNetnsPath attaches a namespace known by a path: the lease lives
// as long as that path is the namespace.
func TestAttachNetnsPath(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	c := startContainer(t)
	path := filepath.Join(t.TempDir(), "netns")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("/proc/%d/ns/net", c.pid)
	if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(path, unix.MNT_DETACH)

	a, err := m.Attach(t.Context(), AttachOptions{Container: Container{ID: "byPath", Name: "byPath"},
		NetnsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, addrs := containerLink(t, c, "eth0"); len(addrs) != 1 || addrs[0] != a.Address {
		t.Errorf("eth0 has %v, want %s", addrs, a.Address)
	}
	c.kill()
	if err := m.GC(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.leasePath("byPath")); err != nil {
		t.Errorf("the lease went while its namespace file still exists: %v", err)
	}
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	if err := m.GC(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.leasePath("byPath")); err == nil {
		t.Error("the lease survived its namespace")
	}
}

// TestNoNetwork hands a prepared container's files to its process without
// giving it a network.
func TestNoNetwork(t *testing.T) {
	sandbox(t)
	m := openManager(t)
	c := startContainer(t)
	files, err := m.Prepare(Container{ID: "alone", Name: "alone", Hostname: "solo"})
	if err != nil {
		t.Fatal(err)
	}
	o := AttachOptions{Container: Container{ID: "alone"}, Network: NoNetwork, Pid: c.pid,
		Ports: []PortMapping{{HostPort: 8085, ContainerPort: 80}}}
	if _, err := m.Attach(t.Context(), o); err == nil {
		t.Error("published a port without a network")
	}
	o.Ports = nil
	if _, err := m.Attach(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	a, err := m.Get("alone")
	if err != nil || a.Network != NoNetwork || a.Address.IsValid() || a.Files != files || a.Name != "alone" {
		t.Fatalf("get: %+v, %v", a, err)
	}
	if ip := lookupHosts(t, files.Hosts, "solo"); ip != "127.0.1.1" {
		t.Errorf("solo is %q", ip)
	}
	if links := huskLinks(t); len(links) > 0 {
		t.Errorf("links for a container without network: %v", links)
	}
	if _, err := m.Get("nobody"); !errors.Is(err, ErrNotAttached) {
		t.Errorf("get an unknown container: %v", err)
	}
	c.kill()
	if err := m.GC(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(files.Hosts); err == nil {
		t.Error("files of a dead container without network left")
	}
}

package network

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// sandbox skips t unless it runs in the sandbox TestMain set up; with
// HUSK_TEST_ROOT=1 it fails instead, so CI cannot skip these silently.
func sandbox(t *testing.T) {
	t.Helper()
	if sandboxSkip != "" && os.Getenv("HUSK_TEST_ROOT") == "1" {
		t.Fatalf("HUSK_TEST_ROOT=1 but the test %s", sandboxSkip)
	}
	if sandboxSkip != "" {
		t.Skip(sandboxSkip)
	}
	if os.Getenv(sandboxEnv) == "" {
		t.Fatal("not in the test sandbox: refusing to touch this network namespace")
	}
}

// openManager opens a Manager on a fresh state dir. When the test ends,
// after its containers are killed, GC must leave the host as it found it:
// no husk table, bridge or veth.
func openManager(t *testing.T) *Manager {
	t.Helper()
	root := t.TempDir()
	m, err := Open(root, WithResolvConf(world.resolv, world.upstream))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.GC(); err != nil {
			t.Errorf("final GC: %v", err)
		}
		nets, _ := m.List()
		for _, n := range nets {
			if n.Name != DefaultNetwork {
				if err := m.Remove(n.Name); err != nil {
					t.Errorf("remove network: %v", err)
				}
			}
		}
		assertClean(t, root)
	})
	return m
}

// assertClean fails t when husk left a lease, a rule, a bridge or a veth.
func assertClean(t *testing.T, root string) {
	t.Helper()
	if leases, _ := os.ReadDir(root + "/leases"); len(leases) > 0 {
		t.Errorf("leases left: %v", leases)
	}
	if files, _ := os.ReadDir(root + "/containers"); len(files) > 0 {
		t.Errorf("container files left: %v", files)
	}
	if rules := huskRules(t); rules != nil {
		t.Errorf("nftables table ip husk left, with rules %q", rules)
	}
	if links := huskLinks(t); len(links) > 0 {
		t.Errorf("links left: %v", links)
	}
	if err := checkForeignTable(); err != nil {
		t.Error(err)
	}
}

// huskRules returns the comments of the rules in husk's table, by chain
// ("ports: container web (...)"); nil when the table does not exist.
func huskRules(t *testing.T) []string {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := c.ListTableOfFamily(TableName, nftables.TableFamilyIPv4)
	if err != nil {
		return nil
	}
	out := []string{}
	for _, ch := range []string{"prerouting", "output", "ports", "postrouting"} {
		rules, err := c.GetRules(tbl, &nftables.Chain{Name: ch, Table: tbl})
		if err != nil {
			t.Fatalf("list rules of chain %s: %v", ch, err)
		}
		for _, r := range rules {
			s, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			out = append(out, ch+": "+s)
		}
	}
	return out
}

// huskLinks lists the test host's links named like husk's.
func huskLinks(t *testing.T) []string {
	t.Helper()
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, "husk") {
			out = append(out, l.Attrs().Name)
		}
	}
	return out
}

// container is a stand-in for a container's init: a sleep in a network
// namespace of its own, killed when the test ends.
type container struct {
	cmd *exec.Cmd
	pid int
}

func startContainer(t *testing.T) *container {
	t.Helper()
	cmd, err := startInNetns("sleep", "600")
	if err != nil {
		t.Fatal(err)
	}
	c := &container{cmd: cmd, pid: cmd.Process.Pid}
	t.Cleanup(c.kill)
	return c
}

// forks runs the starts of startInNetns on one thread that never exits:
// a child's parent-death signal fires when the thread that forked it ends,
// and Go ends the threads of goroutines that exit locked (as container.in
// does), which would kill containers in mid-test.
var forks = make(chan func())

func init() {
	go func() {
		runtime.LockOSThread()
		for f := range forks {
			f()
		}
	}()
}

// startInNetns starts a command in a new network namespace; it is killed
// when the test binary dies.
func startInNetns(name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	errc := make(chan error)
	forks <- func() { errc <- cmd.Start() }
	return cmd, <-errc
}

// kill ends the container's process and reaps it; killing twice is fine.
func (c *container) kill() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
}

// in runs fn on a thread inside the container's network namespace, so the
// sockets fn opens live there. The thread is never unlocked, so Go
// discards it with the goroutine instead of reusing it elsewhere.
func (c *container) in(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromPid(c.pid)
		if err == nil {
			err = netns.Set(ns)
			ns.Close()
		}
		if err == nil {
			err = fn()
		}
		errc <- err
	}()
	return <-errc
}

// serve answers every TCP connection to addr with "tag PEER\n", PEER being
// the address the server sees the client as, and closes it. c nil serves
// from the test host.
func serve(t *testing.T, c *container, addr, tag string) {
	t.Helper()
	var l net.Listener
	listen := func() (err error) {
		l, err = net.Listen("tcp4", addr)
		return err
	}
	var err error
	if c == nil {
		err = listen()
	} else {
		err = c.in(listen)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(conn, "%s %s\n", tag, conn.RemoteAddr().(*net.TCPAddr).IP)
			conn.Close()
		}
	}()
}

// dial connects to addr from c (nil: the test host) and returns the line
// the server wrote.
func dial(c *container, addr string) (string, error) {
	var line string
	do := func() error {
		conn, err := net.DialTimeout("tcp4", addr, 3*time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(3 * time.Second))
		line, err = bufio.NewReader(conn).ReadString('\n')
		return err
	}
	var err error
	if c == nil {
		err = do()
	} else {
		err = c.in(do)
	}
	return strings.TrimSpace(line), err
}

// expectReply dials addr from c and checks the server's line.
func expectReply(t *testing.T, c *container, addr, want string) {
	t.Helper()
	got, err := dial(c, addr)
	if err != nil || got != want {
		t.Errorf("dial %s: got %q, %v; want %q", addr, got, err, want)
	}
}

// lookupHosts resolves name the way the C library would with hosts file
// path: the first line naming it.
func lookupHosts(t *testing.T, path, name string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && slices.Contains(f[1:], name) {
			return f[0]
		}
	}
	return ""
}

// attach attaches c to network with ports, failing t on error.
func attach(t *testing.T, m *Manager, c *container, id, network string, ports ...PortMapping) *Attachment {
	t.Helper()
	a, err := m.Attach(context.Background(), AttachOptions{
		Container: Container{ID: id, Name: id, Hostname: id + "-host"},
		Network:   network, Pid: c.pid, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// containerLink reads a link of the container's namespace.
func containerLink(t *testing.T, c *container, name string) (netlink.Link, []netip.Prefix) {
	t.Helper()
	ns, err := netns.GetFromPid(c.pid)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Prefix
	for _, a := range addrs {
		ip, _ := netip.AddrFromSlice(a.IP)
		ones, _ := a.Mask.Size()
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return l, out
}

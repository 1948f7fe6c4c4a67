package tests

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The suite runs in a network namespace of its own (see inOwnNetns),
// which plays the host. internetWorld adds an uplink, uplink0 at
// 203.0.113.2/24 with the default route, to a second namespace playing
// the internet at 203.0.113.1 (TEST-NET-3, never routed outside).
const (
	hostUplinkAddr = "203.0.113.2"
	internetAddr   = "203.0.113.1"
)

type internet struct {
	ns  netns.NsHandle
	pid int
}

var (
	internetOnce sync.Once
	theInternet  *internet
	internetErr  error
)

// needInternet sets the uplink up once for the whole suite.
func needInternet(t *testing.T) *internet {
	t.Helper()
	need(t)
	if os.Getenv(envNetns) == "" {
		skip(t, "not in the suite's own network namespace")
	}
	internetOnce.Do(func() { theInternet, internetErr = makeInternet() })
	if internetErr != nil {
		t.Fatalf("set up the test internet: %v", internetErr)
	}
	return theInternet
}

func makeInternet() (*internet, error) {
	// A sleeping child holds the internet's namespace; it dies with us.
	cmd := exec.Command("/bin/busybox", "sleep", "100000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ns, err := netns.GetFromPid(cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "uplink0", MTU: 1500}, PeerName: "inet0"}
	if err := netlink.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("add uplink veth: %w", err)
	}
	here := func() (*netlink.Handle, error) { return netlink.NewHandle() }
	if err := configure(here, "uplink0", hostUplinkAddr+"/24", internetAddr); err != nil {
		return nil, err
	}
	peer, err := netlink.LinkByName("inet0")
	if err != nil {
		return nil, err
	}
	if err := netlink.LinkSetNsFd(peer, int(ns)); err != nil {
		return nil, err
	}
	at := func() (*netlink.Handle, error) { return netlink.NewHandleAt(ns) }
	if err := configure(at, "inet0", internetAddr+"/24", ""); err != nil {
		return nil, err
	}
	return &internet{ns: ns, pid: cmd.Process.Pid}, nil
}

// configure gives link an address, brings it and lo up, and adds a
// default route via gw when gw is set.
func configure(handle func() (*netlink.Handle, error), link, addr, gw string) error {
	h, err := handle()
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return err
	}
	a, err := netlink.ParseAddr(addr)
	if err != nil {
		return err
	}
	if err := h.AddrAdd(l, a); err != nil {
		return fmt.Errorf("address %s on %s: %w", addr, link, err)
	}
	for _, name := range []string{link, "lo"} {
		if x, err := h.LinkByName(name); err == nil {
			if err := h.LinkSetUp(x); err != nil {
				return err
			}
		}
	}
	if gw == "" {
		return nil
	}
	return h.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Gw: net.ParseIP(gw)})
}

// listen opens a TCP listener inside the internet namespace.
func (in *internet) listen(t *testing.T, port int) net.Listener {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if err := netns.Set(in.ns); err != nil {
		t.Fatal(err)
	}
	ln, lerr := net.Listen("tcp", fmt.Sprintf("%s:%d", internetAddr, port))
	if err := netns.Set(orig); err != nil {
		t.Fatal(err)
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	return ln
}

// webServer is a busybox httpd container answering "hello-web".
const webServer = `mkdir -p /www && echo hello-web > /www/index.html && echo ready && exec httpd -f -p 8080 -h /www`

func TestNetworkByNameAndIP(t *testing.T) {
	needInternet(t)
	root := newRoot(t)
	if r := runHusk(root, nil, "network", "create", "testnet"); r.code != 0 {
		t.Fatalf("network create: %+v", r)
	}
	defer runHusk(root, nil, "network", "rm", "testnet")
	web, _ := startHusk(t, root, "--rm", "--network", "testnet", "--name", "web", "busybox:musl", "sh", "-c", webServer)
	defer func() { runHusk(root, nil, "rm", "-f", "web"); exitOf(t, web) }()

	r := runHusk(root, nil, "run", "--rm", "--network", "testnet", "busybox:musl", "sh", "-c", `
		for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web:8080/ 2>/dev/null && break; sleep 0.2; done
		ip=$(awk '$2 == "web" {print $1}' /etc/hosts)
		wget -qO- http://$ip:8080/
		ping -c1 -W2 web >/dev/null && echo ping-ok`)
	if r.code != 0 || r.stdout != "hello-web\nhello-web\nping-ok\n" {
		t.Fatalf("by name, by IP, ping: %+v", r)
	}
}

func TestPublishedPort(t *testing.T) {
	needInternet(t)
	root := newRoot(t)
	web, _ := startHusk(t, root, "--rm", "-p", "18080:8080", "--name", "pub", "busybox:musl", "sh", "-c", webServer)
	defer func() { runHusk(root, nil, "rm", "-f", "pub"); exitOf(t, web) }()

	for _, host := range []string{"127.0.0.1", hostUplinkAddr} {
		if body, err := httpGet("http://" + host + ":18080/"); body != "hello-web\n" {
			t.Fatalf("published port from %s: %q, %v", host, body, err)
		}
	}
	r := runHusk(root, nil, "run", "--rm", "-p", "18080:80", "busybox:musl", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "18080") {
		t.Fatalf("a taken port: %+v; want exit 125 naming 18080", r)
	}
}

// TestOutboundMasquerade: the far side sees the host's uplink address,
// not the container's.
func TestOutboundMasquerade(t *testing.T) {
	in := needInternet(t)
	ln := in.listen(t, 9000)
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- err.Error()
			return
		}
		defer c.Close()
		peer <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		bufio.NewReader(c).ReadString('\n')
	}()
	mustRun(t, "busybox:musl", "sh", "-c", "echo hi | nc -w 2 "+internetAddr+" 9000")
	select {
	case got := <-peer:
		if got != hostUplinkAddr {
			t.Fatalf("the internet saw %s, want the host's %s", got, hostUplinkAddr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection reached the internet side")
	}
}

// TestFiftyContainersUniqueAddresses starts 50 containers at once and
// keeps them all alive (each waits for its stdin to close) until every
// one has reported its address.
func TestFiftyContainersUniqueAddresses(t *testing.T) {
	needInternet(t)
	root := newRoot(t)
	type ctr struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
	}
	ctrs := make([]ctr, 50)
	addrs := make(chan string, 50)
	for i := range ctrs {
		cmd := exec.Command(huskBin, "--root", root, "run", "--rm", "-i", "busybox:musl",
			"sh", "-c", "ip -4 -o addr show dev eth0; cat >/dev/null")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ctrs[i] = ctr{cmd, stdin}
		go func() {
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			addrs <- line
			io.Copy(io.Discard, stdout)
		}()
	}
	defer func() {
		for _, c := range ctrs {
			c.stdin.Close()
			c.cmd.Wait()
		}
		assertNetClean(t, root)
	}()

	seen := map[string]bool{}
	for range ctrs {
		select {
		case line := <-addrs:
			f := strings.Fields(line)
			if len(f) < 4 || seen[f[3]] {
				t.Fatalf("bad or duplicate address in %q", line)
			}
			seen[f[3]] = true
		case <-time.After(60 * time.Second):
			t.Fatalf("only %d of 50 containers reported an address", len(seen))
		}
	}
}

// TestNetworkLeftNothingAfterKill kills husk -9 with a bridged container:
// the next husk command reclaims its veth, lease and rules.
func TestNetworkLeftNothingAfterKill(t *testing.T) {
	needInternet(t)
	root := newRoot(t)
	cmd, _ := startHusk(t, root, "--rm", "-p", "18081:8080", "busybox:musl", "sh", "-c", webServer)
	pid := containerPid(t, root)
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(5*time.Second, func() bool { return !processExists(pid) })
	runHusk(root, nil, "ps")
	assertNetClean(t, root)
	assertClean(t, root)
}

// assertNetClean checks for veths, leases and NAT rules left by root.
func assertNetClean(t *testing.T, root string) {
	t.Helper()
	if leases, _ := os.ReadDir(filepath.Join(root, "networks", "leases")); len(leases) > 0 {
		t.Errorf("leases left: %v", leases)
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Type() == "veth" && l.Attrs().Name != "uplink0" {
			t.Errorf("veth left: %s", l.Attrs().Name)
		}
	}
	out, _ := exec.Command("nft", "list", "table", "ip", "husk").CombinedOutput()
	if strings.Contains(string(out), "dnat") || strings.Contains(string(out), "masquerade") {
		t.Errorf("NAT rules left:\n%s", out)
	}
}

// httpGet fetches url, retrying for a few seconds while nothing listens
// yet: the server prints "ready" just before it binds.
func httpGet(url string) (string, error) {
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var resp *http.Response
		resp, err = (&http.Client{Timeout: 2 * time.Second}).Get(url)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body), rerr
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", err
}

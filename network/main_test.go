package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The tests that build networks never run in the machine's own network
// namespace. As root, TestMain re-executes the test binary in new network
// and mount namespaces (the sandbox), which act as "the host": husk's
// bridges, veths, sysctls and nftables table all live there and die with
// it. Inside, a process in a further namespace plays the internet, joined
// to the host by a veth "uplink0" on TEST-NET-3 addresses; containers are
// `sleep` processes in namespaces of their own.

const sandboxEnv = "HUSK_NETWORK_TEST_SANDBOX"

// sandboxSkip, when set, is why the tests that need the sandbox skip.
var sandboxSkip string

// world is the sandbox's fixed scenery.
var world struct {
	internet *exec.Cmd
	resolv   string // the host's resolv.conf, naming a stub resolver
	upstream string // the stub's upstream servers
}

const (
	hostAddr      = "203.0.113.2" // the test host's uplink address
	remoteAddr    = "203.0.113.1" // the internet's
	testUplinkMTU = 1400
	// takenNet is routed by the test host, so the default network must
	// pick another subnet.
	takenNet = "10.88.0.1/16"
)

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(sandboxEnv) != "":
		os.Exit(runSandboxed(m))
	case os.Geteuid() != 0:
		sandboxSkip = "needs root to create network namespaces"
	default:
		code, err := reexecSandboxed()
		if err == nil {
			os.Exit(code)
		}
		sandboxSkip = fmt.Sprintf("cannot create network and mount namespaces: %v", err)
	}
	os.Exit(m.Run())
}

// reexecSandboxed runs this test binary again in new network and mount
// namespaces and returns its exit status.
func reexecSandboxed() (int, error) {
	// Pdeathsig follows the thread that forks.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	var outer unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &outer); err != nil {
		return 0, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	// The sandbox checks it is not in this network namespace.
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", sandboxEnv, outer.Ino))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNET | unix.CLONE_NEWNS,
		Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var ee *exec.ExitError
	if err := cmd.Wait(); errors.As(err, &ee) {
		if ee.ExitCode() < 0 {
			return 1, nil // killed by a signal
		}
		return ee.ExitCode(), nil
	} else if err != nil {
		return 0, err
	}
	return 0, nil
}

func runSandboxed(m *testing.M) int {
	if err := setUpSandbox(); err != nil {
		fmt.Fprintf(os.Stderr, "network tests: set up the sandbox: %v\n", err)
		return 1
	}
	code := m.Run()
	if err := checkForeignTable(); err != nil {
		fmt.Fprintf(os.Stderr, "network tests: %v\n", err)
		code = 1
	}
	world.internet.Process.Kill()
	world.internet.Wait()
	os.RemoveAll(filepath.Dir(world.resolv))
	return code
}

func setUpSandbox() error {
	var self unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &self); err != nil {
		return err
	}
	if strconv.FormatUint(self.Ino, 10) == os.Getenv(sandboxEnv) {
		return errors.New("still in the machine's network namespace: refusing to run")
	}
	// Nothing mounted here may reach the machine's mount namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	// A sysfs of this network namespace, for /sys/class/net.
	if err := unix.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
		return fmt.Errorf("mount sysfs: %w", err)
	}
	if err := linkUp(netlink.LinkByName("lo")); err != nil {
		return err
	}

	internet, err := startInNetns("sleep", "3600")
	if err != nil {
		return fmt.Errorf("start the internet's process: %w", err)
	}
	world.internet = internet
	uplink := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "uplink0", MTU: testUplinkMTU},
		PeerName: "eth0", PeerMTU: testUplinkMTU, PeerNamespace: netlink.NsPid(internet.Process.Pid)}
	if err := netlink.LinkAdd(uplink); err != nil {
		return fmt.Errorf("create the uplink: %w", err)
	}
	if err := addrUp(&netlink.Handle{}, "uplink0", hostAddr+"/24"); err != nil {
		return err
	}
	gw := &netlink.Route{Gw: net.ParseIP(remoteAddr)}
	if err := netlink.RouteAdd(gw); err != nil {
		return fmt.Errorf("add the default route: %w", err)
	}
	ns, err := netns.GetFromPid(internet.Process.Pid)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := linkUp(h.LinkByName("lo")); err != nil {
		return err
	}
	if err := addrUp(h, "eth0", remoteAddr+"/24"); err != nil {
		return err
	}

	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "taken0"}}); err != nil {
		return fmt.Errorf("create taken0: %w", err)
	}
	if err := addrUp(&netlink.Handle{}, "taken0", takenNet); err != nil {
		return err
	}
	if err := addForeignTable(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "husk-network-test-")
	if err != nil {
		return err
	}
	world.resolv, world.upstream = filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "upstream.conf")
	stub := []byte("nameserver 127.0.0.53\nsearch example.test\n")
	if err := os.WriteFile(world.resolv, stub, 0o644); err != nil {
		return err
	}
	return os.WriteFile(world.upstream, []byte("nameserver 198.51.100.53\nsearch example.test\n"), 0o644)
}

func linkUp(l netlink.Link, err error) error {
	if err != nil {
		return err
	}
	return netlink.LinkSetUp(l)
}

// addrUp gives a link of h's namespace (the zero Handle: this one) an
// address and brings it up.
func addrUp(h *netlink.Handle, name, cidr string) error {
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("look up %s: %w", name, err)
	}
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		return err
	}
	if err := h.AddrAdd(l, a); err != nil {
		return fmt.Errorf("add %s to %s: %w", cidr, name, err)
	}
	return h.LinkSetUp(l)
}

// The foreign table is someone else's: husk must leave it and its rule
// alone through every test.
const foreignTable, foreignComment = "foreign", "not husk's"

func addForeignTable() error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Name: foreignTable, Family: nftables.TableFamilyIPv4})
	ch := c.AddChain(&nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{&expr.Counter{}},
		UserData: userdata.AppendString(nil, userdata.TypeComment, foreignComment)})
	return c.Flush()
}

func checkForeignTable() error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t, err := c.ListTableOfFamily(foreignTable, nftables.TableFamilyIPv4)
	if err != nil {
		return fmt.Errorf("the foreign nftables table is gone: %w", err)
	}
	rules, err := c.GetRules(t, &nftables.Chain{Name: "postrouting", Table: t})
	if err != nil || len(rules) != 1 {
		return fmt.Errorf("the foreign table's rule is gone: %d rules, %v", len(rules), err)
	}
	if s, _ := userdata.GetString(rules[0].UserData, userdata.TypeComment); s != foreignComment {
		return fmt.Errorf("the foreign table's rule changed: comment %q", s)
	}
	return nil
}

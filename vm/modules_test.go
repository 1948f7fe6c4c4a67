package vm

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bridgeDep is modules.dep as depmod writes it for a few of the cloud
// kernel's modules: every dependency, in reverse load order.
const bridgeDep = `kernel/net/llc/llc.ko:
kernel/net/802/stp.ko: kernel/net/llc/llc.ko
kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko
kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/802/stp.ko kernel/net/llc/llc.ko
kernel/fs/overlayfs/overlay.ko:
kernel/lib/libcrc32c.ko:
kernel/net/netfilter/nfnetlink.ko:
kernel/net/netfilter/nf_tables.ko: kernel/lib/libcrc32c.ko kernel/net/netfilter/nfnetlink.ko
kernel/drivers/net/wireguard/wireguard.ko: kernel/net/ipv4/udp_tunnel.ko kernel/net/ipv6/ip6_udp_tunnel.ko
`

func TestParseModulesDep(t *testing.T) {
	m, err := ParseModulesDep(strings.NewReader(bridgeDep))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Path["br_netfilter"]; got != "kernel/net/bridge/br_netfilter.ko" {
		t.Errorf("path of br_netfilter: %q", got)
	}
	if got := m.Deps["bridge"]; !reflect.DeepEqual(got, []string{"stp", "llc"}) {
		t.Errorf("deps of bridge: %q", got)
	}
	if _, err := ParseModulesDep(strings.NewReader("no colon here\n")); err == nil {
		t.Error("a line without a colon: no error")
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/net/bridge/br_netfilter.ko": "br_netfilter",
		"kernel/fs/fuse/fuse.ko.xz":         "fuse",
		"nf-tables":                         "nf_tables",
		"crc32c-intel.ko.zst":               "crc32c_intel",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	m, err := ParseModulesDep(strings.NewReader(bridgeDep))
	if err != nil {
		t.Fatal(err)
	}
	m.Builtin["crc32c_generic"] = true
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"overlay"}, "overlay"},
		{[]string{"br_netfilter"}, "llc stp bridge br_netfilter"},
		// Each module once, after what it needs, whatever the order asked.
		{[]string{"bridge", "nf-tables", "br_netfilter", "stp"}, "llc stp bridge libcrc32c nfnetlink nf_tables br_netfilter"},
		{[]string{"crc32c_generic", "overlay"}, "overlay"}, // built in: nothing to load
	} {
		got, err := m.Resolve(tc.names...)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("Resolve(%v) = %v, %v; want %s", tc.names, got, err, tc.want)
		}
	}

	if _, err := m.Resolve("nope"); err == nil || !strings.Contains(err.Error(), `"nope" not found`) {
		t.Errorf("unknown module: %v", err)
	}
	if _, err := m.Resolve("wireguard"); err == nil || !strings.Contains(err.Error(), `needed by "wireguard"`) {
		t.Errorf("missing dependency: %v", err)
	}
	m.Deps["llc"] = []string{"bridge"}
	if _, err := m.Resolve("bridge"); err == nil || !strings.Contains(err.Error(), "bridge -> stp -> llc -> bridge") {
		t.Errorf("cycle: %v", err)
	}
}

func TestWriteModulesDep(t *testing.T) {
	m, err := ParseModulesDep(strings.NewReader(bridgeDep))
	if err != nil {
		t.Fatal(err)
	}
	order, err := m.Resolve("br_netfilter", "overlay")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.WriteModulesDep(&buf, order); err != nil {
		t.Fatal(err)
	}
	// What depmod writes for these, sorted by name.
	want := `kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/802/stp.ko kernel/net/llc/llc.ko
kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko
kernel/net/llc/llc.ko:
kernel/fs/overlayfs/overlay.ko:
kernel/net/802/stp.ko: kernel/net/llc/llc.ko
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	// And it reads back to the same order.
	back, err := ParseModulesDep(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := back.Resolve("br_netfilter", "overlay"); err != nil || !reflect.DeepEqual(got, order) {
		t.Errorf("read back: %v, %v; want %v", got, err, order)
	}
}

func TestParseModinfo(t *testing.T) {
	section := "license=GPL\x00depends=stp,llc\x00alias=rtnl-link-bridge\x00alias=net-pf-7\x00" +
		"name=bridge\x00vermagic=6.1.0 SMP mod_unload\x00\x00"
	got := ParseModinfo([]byte(section))
	if !reflect.DeepEqual(got["depends"], []string{"stp,llc"}) || !reflect.DeepEqual(got["alias"],
		[]string{"rtnl-link-bridge", "net-pf-7"}) || got["name"][0] != "bridge" {
		t.Errorf("ParseModinfo: %q", got)
	}
}

// TestReadModulesFromDep reads a modules directory that has a
// modules.dep and a modules.builtin.
func TestReadModulesFromDep(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(bridgeDep), 0o644)
	os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/crypto/crc32c_generic.ko\n"), 0o644)
	m, err := ReadModules(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Builtin["crc32c_generic"] || m.Path["overlay"] != "kernel/fs/overlayfs/overlay.ko" {
		t.Errorf("ReadModules: builtin %v, overlay at %q", m.Builtin, m.Path["overlay"])
	}
}

// TestReadModulesModinfo indexes a real kernel's modules by their
// .modinfo, when `make vmtest` has cached one.
func TestReadModulesModinfo(t *testing.T) {
	dirs, _ := filepath.Glob("../build/vm/linux-image-*/lib/modules/*")
	if len(dirs) == 0 {
		t.Skip("no kernel in ../build/vm (make vmtest downloads one)")
	}
	m, err := ReadModules(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	order, err := m.Resolve("bridge", "nf_tables")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "llc stp bridge nfnetlink libcrc32c nf_tables" &&
		got != "llc stp bridge libcrc32c nfnetlink nf_tables" {
		t.Errorf("Resolve(bridge, nf_tables) = %s", got)
	}
}

package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"husk/internal/fsutil"
	"husk/internal/names"
)

// DefaultNetwork is the network a container joins when it names none. It
// always exists, on the bridge DefaultBridge.
const (
	DefaultNetwork = "bridge"
	DefaultBridge  = "husk0"
)

// ErrNoNetwork is returned when no network has the given name.
var ErrNoNetwork = errors.New("no such network")

// Network is the definition of one network, as stored on disk.
type Network struct {
	Name    string       `json:"name"`
	Bridge  string       `json:"bridge"`
	Subnet  netip.Prefix `json:"subnet"`
	Gateway netip.Addr   `json:"gateway"`
	Created time.Time    `json:"created"`
}

// userDefined reports whether containers on n find each other by name; as
// in Docker and podman, the default network gives no name resolution.
func (n *Network) userDefined() bool { return n.Name != DefaultNetwork }

// Manager creates networks and attaches containers to them, keeping its
// state under one directory. Its methods are safe to call from several
// goroutines and processes at once: each takes the directory's lock.
type Manager struct {
	root          string
	resolvConf    string // the host's resolv.conf
	upstreamConf  string // the real servers behind a local stub resolver
	defaultSubnet string
}

// Option changes how Open sets up a Manager.
type Option func(*Manager)

// WithResolvConf reads the host's resolver configuration from path instead
// of /etc/resolv.conf, and the upstream servers of a local stub resolver
// from upstream instead of /run/systemd/resolve/resolv.conf.
func WithResolvConf(path, upstream string) Option {
	return func(m *Manager) { m.resolvConf, m.upstreamConf = path, upstream }
}

// WithDefaultSubnet gives the default network the subnet cidr when Open
// creates it, instead of the first free /16 from 10.88.0.0/16 on. It has
// no effect once the default network exists.
func WithDefaultSubnet(cidr string) Option {
	return func(m *Manager) { m.defaultSubnet = cidr }
}

// Open returns the Manager of the state directory root, creating it and
// the default network's definition when missing. The default network's
// subnet is chosen here, against the host's routes at that moment.
func Open(root string, opts ...Option) (*Manager, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("network state dir %q: %w", root, err)
	}
	m := &Manager{root: root, resolvConf: "/etc/resolv.conf",
		upstreamConf: "/run/systemd/resolve/resolv.conf"}
	for _, o := range opts {
		o(m)
	}
	for _, dir := range []string{m.root, m.path("networks"), m.path("leases"), m.path("containers")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create network state dir %q: %w", dir, err)
		}
	}
	// The usual case, every husk command: the default network is
	// defined. Whether its file is sound is for its first user to find.
	if _, err := os.Stat(m.path("networks", DefaultNetwork+".json")); err == nil {
		return m, nil
	}

	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := m.network(DefaultNetwork); err == nil {
		return m, nil
	} else if !errors.Is(err, ErrNoNetwork) {
		return nil, err
	}
	var subnet netip.Prefix
	if m.defaultSubnet != "" {
		if subnet, err = parseSubnet(m.defaultSubnet); err != nil {
			return nil, fmt.Errorf("default network: %w", err)
		}
	}
	if _, err := m.create(DefaultNetwork, DefaultBridge, subnet, defaultCandidates); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Manager) path(elem ...string) string {
	return filepath.Join(append([]string{m.root}, elem...)...)
}

// lock takes the state directory's lock; the caller must call the returned
// function.
func (m *Manager) lock() (func(), error) {
	return fsutil.Lock(m.path("lock"), true)
}

// Create defines a user network called name on a new bridge (husk1,
// husk2...). subnet is an IPv4 CIDR such as "10.90.1.0/24"; "" picks the
// first /24 from 10.89.0.0 on that overlaps neither another network nor a
// route of the host. The bridge itself is made by the first Attach.
func (m *Manager) Create(name, subnet string) (*Network, error) {
	if err := names.Check(name, 64); err != nil {
		return nil, fmt.Errorf("network name %q: %w", name, err)
	}
	if name == NoNetwork || name == "host" {
		return nil, fmt.Errorf("network name %q is reserved for --network %s", name, name)
	}
	var prefix netip.Prefix
	if subnet != "" {
		var err error
		if prefix, err = parseSubnet(subnet); err != nil {
			return nil, fmt.Errorf("network %q: %w", name, err)
		}
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()

	if _, err := m.network(name); err == nil {
		return nil, fmt.Errorf("network %q already exists", name)
	} else if !errors.Is(err, ErrNoNetwork) {
		return nil, err
	}
	all, err := m.networks()
	if err != nil {
		return nil, err
	}
	bridge, err := freeBridgeName(all)
	if err != nil {
		return nil, err
	}
	return m.create(name, bridge, prefix, userCandidates)
}

// create records a network; a zero subnet is picked from candidates. The
// caller holds the lock.
func (m *Manager) create(name, bridge string, subnet netip.Prefix,
	candidates iter.Seq[netip.Prefix],
) (*Network, error) {
	all, err := m.networks()
	if err != nil {
		return nil, err
	}
	var taken []takenPrefix
	for _, n := range all {
		taken = append(taken, takenPrefix{n.Subnet, fmt.Sprintf("network %q", n.Name)})
	}
	routed, err := hostPrefixes()
	if err != nil {
		return nil, err
	}
	taken = append(taken, routed...)
	if subnet.IsValid() {
		if t, ok := overlap(subnet, taken); ok {
			return nil, fmt.Errorf("network %q: subnet %s overlaps %s (%s)", name, subnet, t.prefix, t.owner)
		}
	} else if subnet, err = pickSubnet(candidates, taken); err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	n := &Network{Name: name, Bridge: bridge, Subnet: subnet, Gateway: subnet.Addr().Next(),
		Created: time.Now().UTC()}
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode network %q: %w", name, err)
	}
	if err := fsutil.WriteFile(m.path("networks", name+".json"), data, 0o600, true); err != nil {
		return nil, err
	}
	return n, nil
}

// List returns every network, the default one first, then by name.
func (m *Manager) List() ([]*Network, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.networks()
}

// Inspect returns the network called name and the containers attached to
// it, by address.
func (m *Manager) Inspect(name string) (*Network, []*Attachment, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	n, err := m.network(name)
	if err != nil {
		return nil, nil, err
	}
	leases, err := m.leases()
	if err != nil {
		return nil, nil, err
	}
	var out []*Attachment
	for _, l := range onNetwork(leases, name) {
		out = append(out, m.attachment(l, n))
	}
	return n, out, nil
}

// Remove deletes the user network called name and its bridge. It refuses
// while a live container is attached; the default network stays.
func (m *Manager) Remove(name string) error {
	if name == DefaultNetwork {
		return fmt.Errorf("network %q is husk's default network: it cannot be removed", name)
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	n, err := m.network(name)
	if err != nil {
		return err
	}
	leases, _, err := m.reap("")
	if err != nil {
		return err
	}
	if users := onNetwork(leases, name); len(users) > 0 {
		names := make([]string, len(users))
		for i, l := range users {
			names[i] = l.Name
		}
		return fmt.Errorf("network %q is in use by container(s) %s: remove them first",
			name, strings.Join(names, ", "))
	}
	if err := deleteLink(n.Bridge); err != nil {
		return err
	}
	if err := os.Remove(m.path("networks", name+".json")); err != nil {
		return fmt.Errorf("remove network %q: %w", name, err)
	}
	return nil
}

// network reads one definition; the caller holds the lock.
func (m *Manager) network(name string) (*Network, error) {
	if !names.Valid(name, 64) {
		return nil, fmt.Errorf("network %q: %w", name, ErrNoNetwork)
	}
	data, err := os.ReadFile(m.path("networks", name+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("network %q: %w", name, ErrNoNetwork)
	}
	if err != nil {
		return nil, fmt.Errorf("read network %q: %w", name, err)
	}
	var n Network
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("decode network %q: %w", name, err)
	}
	return &n, nil
}

// networks reads every definition; the caller holds the lock.
func (m *Manager) networks() ([]*Network, error) {
	entries, err := os.ReadDir(m.path("networks"))
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var out []*Network
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		n, err := m.network(name)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if di, dj := out[i].Name == DefaultNetwork, out[j].Name == DefaultNetwork; di != dj {
			return di
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

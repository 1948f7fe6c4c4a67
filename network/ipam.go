package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"husk/internal/fsutil"
	"husk/internal/names"
)

// lease is husk's record of one container's place on a network. It is
// written by Prepare (no network yet) and completed by Attach, always
// before any link or rule exists for it, so whatever a crash leaves
// behind is named in a lease and reclaimed with it.
type lease struct {
	ContainerID string `json:"id"`
	Name        string `json:"name,omitempty"`
	Hostname    string `json:"hostname,omitempty"`

	Network  string        `json:"network,omitempty"`
	Address  netip.Prefix  `json:"address,omitzero"` // the container's address and prefix length
	HostVeth string        `json:"hostVeth,omitempty"`
	Ports    []PortMapping `json:"ports,omitempty"`

	Owner owner `json:"owner"`
}

// owner is what a lease lives as long as: a process, by pid and start time
// (in clock ticks since boot, /proc/PID/stat field 22) so that a reused
// pid does not keep a dead container's lease, or, for a namespace attached
// by path, that path's inode.
type owner struct {
	Pid       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"startTime,omitempty"`
	NetnsPath string `json:"netnsPath,omitempty"`
	NetnsDev  uint64 `json:"netnsDev,omitempty"`
	NetnsIno  uint64 `json:"netnsIno,omitempty"`
}

// attached reports whether the lease holds an address.
func (l *lease) attached() bool { return l.Address.IsValid() }

// alive reports whether the lease's owner still exists.
func (o owner) alive() bool {
	if o.Pid > 0 {
		start, err := processStartTime(o.Pid)
		return err == nil && start == o.StartTime
	}
	if o.NetnsPath != "" {
		var st unix.Stat_t
		return unix.Stat(o.NetnsPath, &st) == nil && st.Dev == o.NetnsDev && st.Ino == o.NetnsIno
	}
	return false
}

// processOwner returns the owner record of a running process.
func processOwner(pid int) (owner, error) {
	start, err := processStartTime(pid)
	if err != nil {
		return owner{}, err
	}
	return owner{Pid: pid, StartTime: start}, nil
}

// processStartTime reads the start time of a live process; a zombie counts
// as gone, since its namespaces already are.
func processStartTime(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	state, start, err := parseStat(data)
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	if state == 'Z' || state == 'X' {
		return 0, fmt.Errorf("process %d: exited", pid)
	}
	return start, nil
}

// parseStat returns the state and start time fields of a proc(5)
// /proc/PID/stat line. The command name may hold spaces and parentheses,
// so fields are counted from its last ')'.
func parseStat(data []byte) (byte, uint64, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed stat line %q", data)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state), so field 22 (starttime) is f[19].
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("malformed stat line %q", data)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("malformed start time in stat line %q", data)
	}
	return f[0][0], start, nil
}

// checkID refuses an id that cannot name a lease file.
func checkID(id string) error {
	if !names.Valid(id, 128) {
		return fmt.Errorf("container id %q: use up to 128 letters, digits, '_', '.' or '-'", id)
	}
	return nil
}

func (m *Manager) leasePath(id string) string { return m.path("leases", id+".json") }

// lease reads one container's lease; nil when it has none. The caller
// holds the lock.
func (m *Manager) lease(id string) (*lease, error) {
	data, err := os.ReadFile(m.leasePath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lease of container %q: %w", id, err)
	}
	var l lease
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("decode lease %q: %w", m.leasePath(id), err)
	}
	return &l, nil
}

// leases reads every lease; the caller holds the lock.
func (m *Manager) leases() ([]*lease, error) {
	entries, err := os.ReadDir(m.path("leases"))
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	var out []*lease
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(id, ".") {
			continue
		}
		l, err := m.lease(id)
		if err != nil {
			return nil, err
		}
		if l != nil {
			out = append(out, l)
		}
	}
	return out, nil
}

func (m *Manager) saveLease(l *lease) error {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("encode lease of container %q: %w", l.ContainerID, err)
	}
	return fsutil.WriteFile(m.leasePath(l.ContainerID), data, 0o600, true)
}

func (m *Manager) removeLease(id string) error {
	err := os.Remove(m.leasePath(id))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove lease of container %q: %w", id, err)
	}
	return nil
}

// onNetwork returns the attached leases on the network called name.
func onNetwork(leases []*lease, name string) []*lease {
	var out []*lease
	for _, l := range leases {
		if l.attached() && l.Network == name {
			out = append(out, l)
		}
	}
	return out
}

// allocate returns the lowest address of n that is neither its network
// address, its gateway, its broadcast address nor leased.
func allocate(n *Network, leases []*lease) (netip.Addr, error) {
	used := map[netip.Addr]bool{n.Gateway: true}
	for _, l := range onNetwork(leases, n.Name) {
		used[l.Address.Addr()] = true
	}
	for a := n.Subnet.Addr().Next(); n.Subnet.Contains(a); a = a.Next() {
		if !used[a] && n.Subnet.Contains(a.Next()) { // a.Next() outside: a is broadcast
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("network %q: no free address left in %s", n.Name, n.Subnet)
}

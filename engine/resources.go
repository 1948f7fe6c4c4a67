package engine

import (
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/cgroups"
)

// ResourceOptions are `husk run` and `husk update`'s limits, as users type
// them ("512m", "1.5"); empty means unset.
type ResourceOptions struct {
	Memory      string
	MemorySwap  string
	CPUs        string
	CPUShares   uint64
	CpusetCPUs  string
	PidsLimit   int64 // 0: unset, -1: unlimited
	BlkioWeight uint16
	Devices     []string // HOST[:CONTAINER[:PERMS]]
}

// Resources turns the options into linux.resources, or nil when none is
// set.
func (o ResourceOptions) Resources() (*specs.LinuxResources, error) {
	res := &specs.LinuxResources{}
	set := false
	if o.Memory != "" || o.MemorySwap != "" {
		mem, err := memoryLimits(o.Memory, o.MemorySwap)
		if err != nil {
			return nil, err
		}
		res.Memory, set = mem, true
	}
	if o.CPUs != "" || o.CPUShares != 0 || o.CpusetCPUs != "" {
		cpu, err := cpuLimits(o)
		if err != nil {
			return nil, err
		}
		res.CPU, set = cpu, true
	}
	if o.PidsLimit != 0 {
		limit := o.PidsLimit
		res.Pids, set = &specs.LinuxPids{Limit: &limit}, true
	}
	if o.BlkioWeight != 0 {
		if o.BlkioWeight < 10 || o.BlkioWeight > 1000 {
			return nil, fmt.Errorf("--blkio-weight %d: want 10 to 1000", o.BlkioWeight)
		}
		w := o.BlkioWeight
		res.BlockIO, set = &specs.LinuxBlockIO{Weight: &w}, true
	}
	if !set {
		return nil, nil
	}
	return res, nil
}

// memoryLimits follows Docker: --memory-swap is memory plus swap, -1 is
// unlimited swap, and without it swap may equal the memory limit again.
func memoryLimits(memory, swap string) (*specs.LinuxMemory, error) {
	mem := &specs.LinuxMemory{}
	if memory != "" {
		v, err := cgroups.ParseSize(memory)
		if err != nil {
			return nil, fmt.Errorf("--memory: %w", err)
		}
		if v > 0 && v < 6<<20 {
			return nil, fmt.Errorf("--memory %s: the minimum is 6m", memory)
		}
		mem.Limit = &v
	}
	if swap != "" {
		v, err := cgroups.ParseSize(swap)
		if err != nil {
			return nil, fmt.Errorf("--memory-swap: %w", err)
		}
		if mem.Limit == nil {
			return nil, errors.New("--memory-swap: needs --memory")
		}
		if v != -1 && v < *mem.Limit {
			return nil, fmt.Errorf("--memory-swap %s: must be at least --memory %s", swap, memory)
		}
		mem.Swap = &v
	}
	return mem, nil
}

func cpuLimits(o ResourceOptions) (*specs.LinuxCPU, error) {
	if err := checkCPUs(o.CpusetCPUs); err != nil {
		return nil, err
	}
	cpu := &specs.LinuxCPU{Cpus: o.CpusetCPUs}
	if o.CPUs != "" {
		quota, period, err := cpuQuota(o.CPUs)
		if err != nil {
			return nil, err
		}
		cpu.Quota, cpu.Period = &quota, &period
	}
	if o.CPUShares != 0 {
		// The kernel's range for cpu.shares (v1), which v2's weight maps.
		if o.CPUShares < 2 || o.CPUShares > 262144 {
			return nil, fmt.Errorf("--cpu-shares %d: want 2 to 262144", o.CPUShares)
		}
		shares := o.CPUShares
		cpu.Shares = &shares
	}
	return cpu, nil
}

// cpuQuota reads --cpus as Docker does: at least 0.01 (a 1 ms quota per
// 100 ms period, the kernel's least) and at most the CPUs husk may use.
func cpuQuota(cpus string) (int64, uint64, error) {
	quota, period, err := cgroups.CPUQuota(cpus)
	if err != nil {
		return 0, 0, fmt.Errorf("--cpus %q: want a positive number such as 0.5 or 2", cpus)
	}
	if quota < 1000 {
		return 0, 0, fmt.Errorf("--cpus %s: the minimum is 0.01", cpus)
	}
	if n := goruntime.NumCPU(); quota > int64(n)*int64(period) {
		return 0, 0, fmt.Errorf("--cpus %s: want 0.01 to %d, the CPUs this host has", cpus, n)
	}
	return quota, period, nil
}

// parseDevice reads --device HOST[:CONTAINER[:PERMS]] into the node to
// create in the container and the cgroup rule that allows it.
func parseDevice(arg string) (specs.LinuxDevice, specs.LinuxDeviceCgroup, error) {
	parts := strings.Split(arg, ":")
	host, dst, perms := parts[0], parts[0], "rwm"
	if len(parts) > 3 {
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, fmt.Errorf("--device %q: want HOST[:CONTAINER[:PERMS]]", arg)
	}
	if len(parts) > 1 && parts[1] != "" {
		dst = parts[1]
	}
	if len(parts) > 2 {
		perms = parts[2]
	}
	if strings.Trim(perms, "rwm") != "" || perms == "" {
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, fmt.Errorf("--device %q: permissions %q: use r, w and m", arg, perms)
	}

	var st unix.Stat_t
	if err := unix.Stat(host, &st); err != nil {
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, fmt.Errorf("--device %q: %w", arg, &os.PathError{Op: "stat", Path: host, Err: err})
	}
	typ := "c"
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
	case unix.S_IFBLK:
		typ = "b"
	default:
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, fmt.Errorf("--device %q: %s is not a device", arg, host)
	}
	major, minor := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	dev := specs.LinuxDevice{Path: dst, Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid}
	rule := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: perms}
	return dev, rule, nil
}

// checkCPUs refuses a --cpuset-cpus list ("0-2,4") that names a CPU this
// host has not online, in the user's terms rather than the cgroup's.
func checkCPUs(list string) error {
	if list == "" {
		return nil
	}
	online, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil // the cgroup write will say what is wrong
	}
	have, err := cpuList(strings.TrimSpace(string(online)))
	if err != nil {
		return nil
	}
	want, err := cpuList(list)
	if err != nil {
		return fmt.Errorf("--cpuset-cpus %q: %w", list, err)
	}
	for _, c := range want {
		if !slices.Contains(have, c) {
			return fmt.Errorf("--cpuset-cpus %q: CPU %d is not online here (online: %s)",
				list, c, strings.TrimSpace(string(online)))
		}
	}
	return nil
}

// cpuList expands a kernel CPU list such as "0-2,4".
func cpuList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b-a > 4096 {
			return nil, fmt.Errorf("want CPU numbers and ranges such as 0-2,4, not %q", part)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Memory fields and what happens to them:
//
//   - limit, reservation, swap: v1 memory.limit_in_bytes,
//     memory.soft_limit_in_bytes and memory.memsw.limit_in_bytes (memory
//     plus swap); v2 memory.max, memory.low and memory.swap.max, which is
//     swap alone and so gets swap - limit. 0 is "not set" and -1 is
//     "unlimited", as in runc.
//   - kernel: ignored on both versions, as runc 1.2+ does. The kernel
//     deprecated memory.kmem.limit_in_bytes in Linux 5.4, and since 5.16
//     a write to it has no effect (cgroup-v1/memory.rst); v2 has no
//     separate kernel limit (kernel memory counts against memory.max).
//   - kernelTCP: v1 memory.kmem.tcp.limit_in_bytes; ignored on v2 like
//     runc does, where socket memory also counts against memory.max.
//   - swappiness, disableOOMKiller: v1 memory.swappiness and
//     memory.oom_control; v2 has neither, so setting them there is an
//     error (false for disableOOMKiller is v2's behaviour and accepted).
//   - useHierarchy: v1 memory.use_hierarchy (kernels since 5.x refuse 0
//     with EINVAL: v1 is always hierarchical now); v2 is always
//     hierarchical, so true is accepted and false refused.
//   - checkBeforeUpdate: a limit below current usage is refused before
//     anything is written.

// memoryWanted reports whether m asks the memory controller for anything
// on both versions; kernel is ignored everywhere and kernelTCP on v2, so
// v1Steps adds kernelTCP itself.
func memoryWanted(m *specs.LinuxMemory) bool {
	return m != nil && (nonZero(m.Limit) || nonZero(m.Reservation) || nonZero(m.Swap) ||
		m.Swappiness != nil || m.DisableOOMKiller != nil || m.UseHierarchy != nil)
}

func nonZero(p *int64) bool { return p != nil && *p != 0 }

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// checkUsage refuses a new limit below the current usage when the spec
// asks for checkBeforeUpdate.
func checkUsage(dir, usageFile string, m *specs.LinuxMemory) error {
	if m.CheckBeforeUpdate == nil || !*m.CheckBeforeUpdate || val(m.Limit) <= 0 {
		return nil
	}
	usage, err := readUint(dir, usageFile)
	if err != nil {
		return fieldError("memory.checkBeforeUpdate", err)
	}
	if uint64(*m.Limit) < usage {
		return fieldError("memory.limit", fmt.Errorf("new limit %d is below the current usage %d", *m.Limit, usage))
	}
	return nil
}

func setMemoryV1(dir string, m *specs.LinuxMemory) error {
	if err := checkUsage(dir, "memory.usage_in_bytes", m); err != nil {
		return err
	}
	limit, swap := val(m.Limit), val(m.Swap)
	// As in v1's own semantics and runc: an unlimited memory with no swap
	// given means unlimited memory+swap too.
	if limit == -1 && swap == 0 && exists(dir, "memory.memsw.limit_in_bytes") {
		swap = -1
	}
	// The kernel insists on memory <= memory+swap at every step, so when
	// both change the order depends on whether swap grows past the
	// current memory limit.
	swapFirst := false
	if limit != 0 && swap != 0 {
		cur, err := readUint(dir, "memory.limit_in_bytes")
		if err != nil {
			return fieldError("memory.swap", err)
		}
		swapFirst = swap == -1 || cur < uint64(swap)
	}
	setLimit := func() error {
		if limit == 0 {
			return nil
		}
		err := writeFile(dir, "memory.limit_in_bytes", strconv.FormatInt(limit, 10))
		if errors.Is(err, unix.EBUSY) {
			usage, _ := readUint(dir, "memory.usage_in_bytes")
			err = fmt.Errorf("%w (current usage %d is above the limit)", err, usage)
		}
		return fieldErr("memory.limit", err)
	}
	setSwap := func() error {
		if swap == 0 {
			return nil
		}
		err := writeFile(dir, "memory.memsw.limit_in_bytes", strconv.FormatInt(swap, 10))
		return fieldErr("memory.swap", missingHint(err, "swap accounting is off: boot with swapaccount=1"))
	}
	order := []func() error{setLimit, setSwap}
	if swapFirst {
		order = []func() error{setSwap, setLimit}
	}
	for _, f := range order {
		if err := f(); err != nil {
			return err
		}
	}
	if r := val(m.Reservation); r != 0 {
		if err := writeFile(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(r, 10)); err != nil {
			return fieldError("memory.reservation", err)
		}
	}
	if m.KernelTCP != nil {
		err := writeFile(dir, "memory.kmem.tcp.limit_in_bytes", strconv.FormatInt(*m.KernelTCP, 10))
		if err != nil {
			return fieldError("memory.kernelTCP", err)
		}
	}
	// Swappiness is a *uint64 in the spec, yet runtimes write -1 for
	// "inherit"; that arrives as MaxUint64 and means "leave it".
	if s := m.Swappiness; s != nil && *s != math.MaxUint64 {
		if *s > 100 {
			return fieldError("memory.swappiness", fmt.Errorf("%d is out of range 0-100", *s))
		}
		if err := writeFile(dir, "memory.swappiness", strconv.FormatUint(*s, 10)); err != nil {
			return fieldError("memory.swappiness", err)
		}
	}
	if b := m.DisableOOMKiller; b != nil {
		if err := writeFile(dir, "memory.oom_control", boolDigit(*b)); err != nil {
			return fieldError("memory.disableOOMKiller", err)
		}
	}
	if b := m.UseHierarchy; b != nil {
		if err := writeFile(dir, "memory.use_hierarchy", boolDigit(*b)); err != nil {
			return fieldError("memory.useHierarchy", err)
		}
	}
	return nil
}

func fieldErr(field string, err error) error {
	if err == nil {
		return nil
	}
	return fieldError(field, err)
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// swapV2 converts the spec's memory+swap total to the value of v2's
// memory.swap.max (swap alone), following runc's
// ConvertMemorySwapToCgroupV2Value: 0 means "leave it", -1 "max".
func swapV2(swap, limit int64) (int64, error) {
	switch {
	case limit == -1 && swap == 0:
		return -1, nil // unlimited memory and nothing said of swap: both unlimited
	case swap == -1 || swap == 0:
		return swap, nil
	case limit == 0 || limit == -1:
		return 0, errors.New("a swap limit needs a memory limit")
	case swap < limit:
		return 0, fmt.Errorf("memory+swap %d is less than the memory limit %d", swap, limit)
	}
	return swap - limit, nil
}

func setMemoryV2(dir string, m *specs.LinuxMemory) error {
	switch {
	case m.Swappiness != nil && *m.Swappiness != math.MaxUint64:
		return fieldError("memory.swappiness", errors.New("cgroup v2 has no per-cgroup swappiness"))
	case m.DisableOOMKiller != nil && *m.DisableOOMKiller:
		return fieldError("memory.disableOOMKiller", errors.New("cgroup v2 cannot disable the OOM killer"))
	case m.UseHierarchy != nil && !*m.UseHierarchy:
		return fieldError("memory.useHierarchy", errors.New("cgroup v2 is always hierarchical"))
	}
	if err := checkUsage(dir, "memory.current", m); err != nil {
		return err
	}
	limit := val(m.Limit)
	swap, err := swapV2(val(m.Swap), limit)
	if err != nil {
		return fieldError("memory.swap", err)
	}
	if swap != 0 || (m.Swap != nil && *m.Swap == limit && limit > 0) {
		// swap == limit: memory.swap.max 0, no swap at all.
		err := writeFile(dir, "memory.swap.max", num(swap))
		// Without swap accounting the file is missing; "max" and "0"
		// then already hold.
		if err != nil && !(errors.Is(err, fs.ErrNotExist) && (swap == -1 || swap == 0)) {
			return fieldError("memory.swap", err)
		}
	}
	if limit != 0 {
		if err := writeFile(dir, "memory.max", num(limit)); err != nil {
			return fieldError("memory.limit", err)
		}
	}
	if r := val(m.Reservation); r != 0 {
		if err := writeFile(dir, "memory.low", num(r)); err != nil {
			return fieldError("memory.reservation", err)
		}
	}
	return nil
}

// oomKillsV1 reads the oom_kill count of memory.oom_control (Linux 4.13).
func oomKillsV1(dir string) (uint64, error) {
	kv, err := readKeyValues(dir, "memory.oom_control")
	if err != nil {
		return 0, fmt.Errorf("read OOM kills: %w", err)
	}
	return kv["oom_kill"], nil
}

func memoryStatsV1(dir string, st *Stats) error {
	var err error
	mem := &st.Memory
	if mem.Usage, err = readUint(dir, "memory.usage_in_bytes"); err != nil {
		return err
	}
	if mem.MaxUsage, err = readUint(dir, "memory.max_usage_in_bytes"); err != nil {
		return err
	}
	if mem.Limit, err = readUint(dir, "memory.limit_in_bytes"); err != nil {
		return err
	}
	// The kernel shows "unlimited" as PAGE_COUNTER_MAX pages, a little
	// below MaxInt64 depending on the page size.
	if mem.Limit >= math.MaxInt64/2 {
		mem.Limit = 0
	}
	kv, err := readKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	mem.Cache = kv["total_cache"]
	if _, ok := kv["total_cache"]; !ok {
		mem.Cache = kv["cache"]
	}
	st.OOMKills, err = oomKillsV1(dir)
	return err
}

func memoryStatsV2(dir string, st *Stats) error {
	usage, err := readUint(dir, "memory.current")
	if errors.Is(err, fs.ErrNotExist) {
		return nil // memory controller not enabled here
	}
	if err != nil {
		return err
	}
	mem := &st.Memory
	mem.Usage = usage
	if mem.Limit, err = readUint(dir, "memory.max"); err != nil {
		return err
	}
	if mem.Limit == math.MaxUint64 {
		mem.Limit = 0
	}
	// memory.peak: Linux 5.19.
	if v, err := readUint(dir, "memory.peak"); err == nil {
		mem.MaxUsage = v
	}
	kv, err := readKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	mem.Cache = kv["file"]
	ev, err := readKeyValues(dir, "memory.events")
	if err != nil {
		return err
	}
	st.OOMKills = ev["oom_kill"]
	return nil
}

package cgroups

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CPU fields (cpus and mems are in cpuset.go):
//
//   - shares: v1 cpu.shares (read back: the kernel clamps to 2..262144,
//     and a clamped value is an error, as in runc); v2 cpu.weight through
//     SharesToWeight.
//   - quota, period: v1 cpu.cfs_quota_us and cpu.cfs_period_us; v2 the
//     pair in cpu.max ("50000 100000", "max 100000"). A quota of -1 is
//     unlimited.
//   - burst: v1 cpu.cfs_burst_us, v2 cpu.max.burst (Linux 5.14).
//   - realtimeRuntime, realtimePeriod: v1 cpu.rt_runtime_us and
//     cpu.rt_period_us (CONFIG_RT_GROUP_SCHED); v2 has no such files, so
//     they are an error there.
//   - idle: cpu.idle on both (Linux 5.15).

// cpuWanted reports whether c asks anything of the cpu controller.
func cpuWanted(c *specs.LinuxCPU) bool {
	return c != nil && (c.Shares != nil && *c.Shares != 0 || c.Quota != nil && *c.Quota != 0 ||
		c.Period != nil && *c.Period != 0 || c.Burst != nil || c.Idle != nil ||
		c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 ||
		c.RealtimePeriod != nil && *c.RealtimePeriod != 0)
}

// SharesToWeight converts v1 cpu.shares (2..262144, default 1024) to v2
// cpu.weight (1..10000, default 100) the way runc 1.3.2+ and crun 1.23+
// do: with l = log2(shares), weight = ceil(10^((l²+125l)/612 - 7/34)), a
// quadratic in log space through the three points that matter: 2 -> 1,
// 1024 -> 100 and 262144 -> 10000 (opencontainers/cgroups utils.go at
// fd95216684463f30144d5f5e41b6f54528feedee). Older runc and crun (such as
// Debian's runc 1.1.5 and crun 1.8.1) used the straight line
// 1 + (shares-2)*9999/262142, which turns the default 1024 into 39 and so
// gives every container well under a default cgroup's CPU share. Shares
// outside the v1 range are clamped to it, as the v1 kernel does; 0 means
// "not set" and gives 0.
func SharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	return uint64(math.Ceil(math.Pow(10, (l*l+125*l)/612-7.0/34)))
}

func setCPUV1(dir string, c *specs.LinuxCPU) error {
	if c.Shares != nil && *c.Shares != 0 {
		if err := writeFile(dir, "cpu.shares", strconv.FormatUint(*c.Shares, 10)); err != nil {
			return fieldError("cpu.shares", err)
		}
		got, err := readUint(dir, "cpu.shares")
		if err != nil {
			return fieldError("cpu.shares", err)
		}
		if got != *c.Shares {
			return fieldError("cpu.shares", fmt.Errorf("%d is out of range: the kernel set %d", *c.Shares, got))
		}
	}
	// Shrinking the period can fail with EINVAL while the old quota is in
	// place (old quota / new period would exceed the parent's bandwidth),
	// and a burst can exceed the old quota; both are retried once the
	// quota is written, as runc does.
	var period, burst string
	if c.Period != nil && *c.Period != 0 {
		p := strconv.FormatUint(*c.Period, 10)
		if err := writeFile(dir, "cpu.cfs_period_us", p); err != nil {
			if !errors.Is(err, unix.EINVAL) || val(c.Quota) == 0 {
				return fieldError("cpu.period", err)
			}
			period = p
		}
	}
	if c.Burst != nil {
		b := strconv.FormatUint(*c.Burst, 10)
		if err := writeFile(dir, "cpu.cfs_burst_us", b); err != nil {
			if !errors.Is(err, unix.EINVAL) || val(c.Quota) == 0 {
				return fieldError("cpu.burst", missingHint(err, "needs Linux 5.14"))
			}
			burst = b
		}
	}
	if q := val(c.Quota); q != 0 {
		if err := writeFile(dir, "cpu.cfs_quota_us", strconv.FormatInt(q, 10)); err != nil {
			return fieldError("cpu.quota", err)
		}
		if period != "" {
			if err := writeFile(dir, "cpu.cfs_period_us", period); err != nil {
				return fieldError("cpu.period", err)
			}
		}
		if burst != "" {
			if err := writeFile(dir, "cpu.cfs_burst_us", burst); err != nil {
				return fieldError("cpu.burst", err)
			}
		}
	}
	// The period first: the runtime must fit the (new) period.
	if p := c.RealtimePeriod; p != nil && *p != 0 {
		if err := writeFile(dir, "cpu.rt_period_us", strconv.FormatUint(*p, 10)); err != nil {
			return fieldError("cpu.realtimePeriod", missingHint(err, "kernel without CONFIG_RT_GROUP_SCHED"))
		}
	}
	if r := c.RealtimeRuntime; r != nil && *r != 0 {
		if err := writeFile(dir, "cpu.rt_runtime_us", strconv.FormatInt(*r, 10)); err != nil {
			return fieldError("cpu.realtimeRuntime", missingHint(err, "kernel without CONFIG_RT_GROUP_SCHED"))
		}
	}
	return setIdle(dir, c)
}

func setIdle(dir string, c *specs.LinuxCPU) error {
	if c.Idle == nil {
		return nil
	}
	err := writeFile(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10))
	return fieldErr("cpu.idle", missingHint(err, "needs Linux 5.15"))
}

// cpuMax returns the content of v2's cpu.max for quota and period, given
// the current content for the half the spec leaves out. 0 means "not
// set" for both; a quota of -1 (or any negative) is "max".
func cpuMax(quota int64, period uint64, cur string) (string, error) {
	curQuota, curPeriod, ok := strings.Cut(strings.TrimSpace(cur), " ")
	if quota == 0 && period == 0 {
		return "", nil
	}
	if (quota == 0 || period == 0) && (!ok || curQuota == "" || curPeriod == "") {
		return "", fmt.Errorf("parse cpu.max %q: want \"$MAX $PERIOD\"", cur)
	}
	q := curQuota
	switch {
	case quota < 0:
		q = "max"
	case quota > 0:
		q = strconv.FormatInt(quota, 10)
	}
	p := curPeriod
	if period != 0 {
		p = strconv.FormatUint(period, 10)
	}
	return q + " " + p, nil
}

func setCPUV2(dir string, c *specs.LinuxCPU) error {
	if val(c.RealtimeRuntime) != 0 || c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		return fieldError("cpu.realtimeRuntime", errors.New("cgroup v2 has no realtime group scheduling"))
	}
	if err := setIdle(dir, c); err != nil {
		return err
	}
	if c.Shares != nil && *c.Shares != 0 {
		w := strconv.FormatUint(SharesToWeight(*c.Shares), 10)
		if err := writeFile(dir, "cpu.weight", w); err != nil {
			return fieldError("cpu.shares", err)
		}
	}
	var burst string
	if c.Burst != nil {
		b := strconv.FormatUint(*c.Burst, 10)
		if err := writeFile(dir, "cpu.max.burst", b); err != nil {
			if !errors.Is(err, unix.EINVAL) || val(c.Quota) == 0 {
				return fieldError("cpu.burst", missingHint(err, "needs Linux 5.14"))
			}
			burst = b // exceeds the old quota: retry after cpu.max
		}
	}
	var period uint64
	if c.Period != nil {
		period = *c.Period
	}
	if val(c.Quota) != 0 || period != 0 {
		cur := ""
		if val(c.Quota) == 0 || period == 0 {
			var err error
			if cur, err = readFile(dir, "cpu.max"); err != nil {
				return fieldError("cpu.quota", err)
			}
		}
		v, err := cpuMax(val(c.Quota), period, cur)
		if err != nil {
			return fieldError("cpu.quota", err)
		}
		if err := writeFile(dir, "cpu.max", v); err != nil {
			return fieldError("cpu.quota", err)
		}
	}
	if burst != "" {
		if err := writeFile(dir, "cpu.max.burst", burst); err != nil {
			return fieldError("cpu.burst", err)
		}
	}
	return nil
}

// cpuacctStats reads v1 cpuacct usage: cpuacct.usage, and the user and
// system split from cpuacct.usage_user and cpuacct.usage_sys (Linux 4.16).
func cpuacctStats(dir string, st *Stats) error {
	var err error
	if st.CPU.UsageNS, err = readUint(dir, "cpuacct.usage"); err != nil {
		return err
	}
	if v, err := readUint(dir, "cpuacct.usage_user"); err == nil {
		st.CPU.UserNS = v
	}
	if v, err := readUint(dir, "cpuacct.usage_sys"); err == nil {
		st.CPU.SystemNS = v
	}
	return nil
}

// cpuStatsV1 reads the throttling counters of v1 cpu.stat.
func cpuStatsV1(dir string, st *Stats) error {
	kv, err := readKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	st.CPU.Periods = kv["nr_periods"]
	st.CPU.ThrottledPeriods = kv["nr_throttled"]
	st.CPU.ThrottledNS = kv["throttled_time"]
	return nil
}

// cpuStatsV2 reads v2 cpu.stat, which has the usage even without the cpu
// controller; its times are in microseconds.
func cpuStatsV2(dir string, st *Stats) error {
	kv, err := readKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	st.CPU.UsageNS = kv["usage_usec"] * 1000
	st.CPU.UserNS = kv["user_usec"] * 1000
	st.CPU.SystemNS = kv["system_usec"] * 1000
	st.CPU.Periods = kv["nr_periods"]
	st.CPU.ThrottledPeriods = kv["nr_throttled"]
	st.CPU.ThrottledNS = kv["throttled_usec"] * 1000
	return nil
}

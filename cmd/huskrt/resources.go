package main

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
)

// resourcesFromFlags builds linux.resources from update's flags; only the
// flags given are set.
func resourcesFromFlags(c *cli.Context) (*specs.LinuxResources, error) {
	res := &specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}}
	for _, f := range []struct {
		name string
		dst  **int64
	}{
		{"memory", &res.Memory.Limit},
		{"memory-reservation", &res.Memory.Reservation},
		{"memory-swap", &res.Memory.Swap},
	} {
		if !c.IsSet(f.name) {
			continue
		}
		v, err := ParseBytes(c.String(f.name))
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", f.name, err)
		}
		*f.dst = &v
	}

	cpu := res.CPU
	if c.IsSet("cpu-shares") {
		v := c.Uint64("cpu-shares")
		cpu.Shares = &v
	}
	if c.IsSet("cpu-quota") {
		v := c.Int64("cpu-quota")
		cpu.Quota = &v
	}
	if c.IsSet("cpu-period") {
		v := c.Uint64("cpu-period")
		cpu.Period = &v
	}
	if c.IsSet("cpu-rt-runtime") {
		v := c.Int64("cpu-rt-runtime")
		cpu.RealtimeRuntime = &v
	}
	if c.IsSet("cpu-rt-period") {
		v := c.Uint64("cpu-rt-period")
		cpu.RealtimePeriod = &v
	}
	cpu.Cpus, cpu.Mems = c.String("cpuset-cpus"), c.String("cpuset-mems")
	if c.IsSet("pids-limit") {
		v := c.Int64("pids-limit")
		res.Pids = &specs.LinuxPids{Limit: &v}
	}
	if c.IsSet("blkio-weight") {
		w := uint16(c.Uint("blkio-weight"))
		res.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return res, nil
}

// ParseBytes reads a size as users type it: "512m", "1.5g", "1024", and
// "-1" for no limit. Units are binary (1k = 1024), as in Docker.
func ParseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional k, m, g or t", s)
	}
	return int64(v * float64(mult)), nil
}

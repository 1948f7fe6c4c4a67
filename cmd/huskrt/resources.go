package main

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"husk/cgroups"
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
		v, err := cgroups.ParseSize(c.String(f.name))
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", f.name, err)
		}
		*f.dst = &v
	}

	cpu := res.CPU
	cpu.Shares = optional(c, "cpu-shares", c.Uint64)
	cpu.Quota = optional(c, "cpu-quota", c.Int64)
	cpu.Period = optional(c, "cpu-period", c.Uint64)
	cpu.RealtimeRuntime = optional(c, "cpu-rt-runtime", c.Int64)
	cpu.RealtimePeriod = optional(c, "cpu-rt-period", c.Uint64)
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

// optional returns a pointer to the flag's value when it was given, and
// nil when not, which leaves that resource as it is.
func optional[T any](c *cli.Context, name string, get func(string) T) *T {
	if !c.IsSet(name) {
		return nil
	}
	v := get(name)
	return &v
}

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

package main

import (
	"github.com/urfave/cli/v2"

	"husk/engine"
)

// resourceFlags are the limits `husk run` and `husk update` take.
var resourceFlags = []cli.Flag{
	&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit (512m, 1g)"},
	&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit (-1: unlimited swap)"},
	&cli.StringFlag{Name: "cpus", Usage: "number of CPUs (1.5)"},
	&cli.Uint64Flag{Name: "cpu-shares", Usage: "relative CPU weight (default 1024)"},
	&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on (0-3, 0,1)"},
	&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes (-1: unlimited)"},
	&cli.UintFlag{Name: "blkio-weight", Usage: "relative block I/O weight (10-1000)"},
	&cli.StringSliceFlag{Name: "device", Usage: "add a host device (HOST[:CONTAINER[:PERMS]])"},
}

func resourceOptions(c *cli.Context) engine.ResourceOptions {
	return engine.ResourceOptions{
		Memory: c.String("memory"), MemorySwap: c.String("memory-swap"),
		CPUs: c.String("cpus"), CPUShares: c.Uint64("cpu-shares"), CpusetCPUs: c.String("cpuset-cpus"),
		PidsLimit: c.Int64("pids-limit"), BlkioWeight: uint16(c.Uint("blkio-weight")),
		Devices: c.StringSlice("device"),
	}
}

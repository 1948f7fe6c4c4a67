package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
)

var updateCommand = &cli.Command{
	Name: "update", Usage: "change the limits of running containers", ArgsUsage: "CONTAINER [CONTAINER...]",
	Flags: resourceFlags,
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return fmt.Errorf("update: name at least one CONTAINER")
		}
		e, err := openEngine(c)
		if err != nil {
			return err
		}
		for _, ref := range c.Args().Slice() {
			if err := e.Update(ref, resourceOptions(c)); err != nil {
				return err
			}
			fmt.Println(ref)
		}
		return nil
	},
}

var statsCommand = &cli.Command{
	Name: "stats", Usage: "show the resource use of running containers", ArgsUsage: "[CONTAINER...]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "no-stream", Usage: "print one sample and exit"},
		&cli.DurationFlag{Name: "interval", Value: time.Second, Usage: "time between samples"},
	},
	Action: func(c *cli.Context) error {
		e, err := openEngine(c)
		if err != nil {
			return err
		}
		for {
			usage, err := e.Stats(c.Args().Slice(), c.Duration("interval"))
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
			fmt.Fprintln(w, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tPIDS\tBLOCK I/O")
			for _, u := range usage {
				s := u.Stats
				limit, memPct := "unlimited", "--"
				if s.Memory.Limit > 0 {
					limit = binarySize(int64(s.Memory.Limit))
					memPct = fmt.Sprintf("%.2f%%", float64(s.Memory.Usage)/float64(s.Memory.Limit)*100)
				}
				fmt.Fprintf(w, "%s\t%s\t%.2f%%\t%s / %s\t%s\t%d\t%s / %s\n", u.Container.ID[:12], u.Container.Name,
					u.CPUPercent, binarySize(int64(s.Memory.Usage)), limit, memPct, s.Pids.Current,
					humanSize(int64(s.BlockIO.ReadBytes)), humanSize(int64(s.BlockIO.WriteBytes)))
			}
			w.Flush()
			if c.Bool("no-stream") {
				return nil
			}
		}
	},
}

var infoCommand = &cli.Command{
	Name: "info", Usage: "show the store and the cgroup layout husk uses",
	Action: func(c *cli.Context) error {
		e, err := openEngine(c)
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		fmt.Printf("Root: %s\nStorage: overlay\nCgroup layout: %s\nImages: %d\nContainers: %d (running: %d)\n",
			info.Root, info.CgroupLayout, info.Images, info.Containers, info.Running)
		return nil
	},
}

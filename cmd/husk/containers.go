package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"husk/engine"
)

var psCommand = &cli.Command{
	Name:    "ps",
	Aliases: []string{"list"},
	Usage:   "list containers",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show stopped containers too"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print ids only"},
	},
	Action: func(c *cli.Context) error {
		e, err := openEngine(c)
		if err != nil {
			return err
		}
		all, err := e.List()
		if err != nil {
			return err
		}

		w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
		if !c.Bool("quiet") {
			fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tNAMES")
		}
		for _, ctr := range all {
			if ctr.Status != "running" && !c.Bool("all") {
				continue
			}
			if c.Bool("quiet") {
				fmt.Fprintln(w, engine.ShortID(ctr.ID))
				continue
			}
			fmt.Fprintf(w, "%s\t%s\t%q\t%s\t%s\t%s\n", engine.ShortID(ctr.ID), ctr.Image,
				truncate(strings.Join(ctr.Command, " "), 20), ago(ctr.Created), status(ctr), ctr.Name)
		}
		return w.Flush()
	},
}

var rmCommand = &cli.Command{
	Name:      "rm",
	Usage:     "remove containers",
	ArgsUsage: "CONTAINER [CONTAINER...]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running container first"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return fmt.Errorf("rm: name at least one CONTAINER")
		}
		e, err := openEngine(c)
		if err != nil {
			return err
		}
		var failed error
		for _, ref := range c.Args().Slice() {
			if _, err := e.Remove(ref, c.Bool("force")); err != nil {
				fmt.Fprintf(os.Stderr, "husk: %v\n", err)
				failed = exitCode{code: 1}
				continue
			}
			fmt.Println(ref)
		}
		return failed
	},
}

func status(c *engine.Container) string {
	switch c.Status {
	case "running":
		return "Up " + strings.TrimSuffix(ago(c.Created), " ago")
	case "exited":
		if c.ExitCode != nil {
			return fmt.Sprintf("Exited (%d) %s", *c.ExitCode, ago(*c.Finished))
		}
		return "Exited (killed with husk)"
	}
	return "Created"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// ago says how long ago t was, the way docker ps does.
func ago(t time.Time) string {
	d := time.Since(t)
	day := 24 * time.Hour
	switch {
	case d < time.Second:
		return "Less than a second ago"
	case d < time.Minute:
		return plural(int(d.Seconds()), "second")
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute")
	case d < 2*day:
		return plural(int(d.Hours()), "hour")
	case d < 14*day:
		return plural(int(d/day), "day")
	case d < 60*day:
		return plural(int(d/(7*day)), "week")
	case d < 730*day:
		return plural(int(d/(30*day)), "month")
	}
	return plural(int(d/(365*day)), "year")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit + " ago"
	}
	return fmt.Sprintf("%d %ss ago", n, unit)
}

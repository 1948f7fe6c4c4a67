package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"husk/internal/timerslack"
)

var formatFlag = &cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"}

var listCommand = &cli.Command{
	Name: "list", Aliases: []string{"ls"}, Usage: "list containers",
	Flags: []cli.Flag{formatFlag, &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "ids only"}},
	Action: func(c *cli.Context) error {
		rt, err := openRuntime(c)
		if err != nil {
			return err
		}
		ids, err := rt.List()
		if err != nil {
			return err
		}
		var states []runcState
		for _, id := range ids {
			if st, err := rt.State(id); err == nil {
				states = append(states, stateJSON(st))
			}
		}
		return printList(c, states)
	},
}

func printList(c *cli.Context, states []runcState) error {
	if c.Bool("quiet") {
		for _, s := range states {
			fmt.Println(s.ID)
		}
		return nil
	}
	switch c.String("format") {
	case "json":
		if states == nil {
			states = []runcState{}
		}
		return printJSON(states)
	case "table":
		w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprintln(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
		for _, s := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created, "root")
		}
		return w.Flush()
	}
	return fmt.Errorf("--format %q: want table or json", c.String("format"))
}

var psCommand = &cli.Command{
	Name: "ps", Usage: "list the processes of a container", ArgsUsage: "ID [ps OPTIONS]",
	Flags: []cli.Flag{formatFlag},
	Action: func(c *cli.Context) error {
		rt, id, err := runtimeFor(c)
		if err != nil {
			return err
		}
		pids, err := rt.Pids(id)
		if err != nil {
			return err
		}
		switch c.String("format") {
		case "json":
			if pids == nil {
				pids = []int{}
			}
			return printJSON(pids)
		case "table":
			return psTable(pids, c.Args().Tail())
		}
		return fmt.Errorf("--format %q: want table or json", c.String("format"))
	},
}

// psTable runs the host's ps, as runc does, and keeps its header and the
// lines of the container's processes.
func psTable(pids []int, args []string) error {
	if len(args) == 0 {
		args = []string{"-ef"}
	}
	var out []byte
	err := timerslack.Start(func() (err error) {
		out, err = exec.Command("ps", args...).Output()
		return err
	})
	if err != nil {
		return fmt.Errorf("run ps %s: %w", strings.Join(args, " "), err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	col := -1
	for i, f := range strings.Fields(lines[0]) {
		if f == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps %s: no PID column", strings.Join(args, " "))
	}
	in := map[string]bool{}
	for _, p := range pids {
		in[strconv.Itoa(p)] = true
	}
	fmt.Println(lines[0])
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > col && in[f[col]] {
			fmt.Println(l)
		}
	}
	return nil
}

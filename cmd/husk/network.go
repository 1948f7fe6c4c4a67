package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

var networkCommand = &cli.Command{
	Name:  "network",
	Usage: "manage networks that containers join by name",
	Subcommands: []*cli.Command{
		{
			Name: "create", Usage: "define a network on a bridge of its own", ArgsUsage: "NAME",
			Flags: []cli.Flag{&cli.StringFlag{Name: "subnet", Usage: "IPv4 subnet, e.g. 10.90.1.0/24 (default: a free /24)"}},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return fmt.Errorf("network create: want one NAME")
				}
				e, err := openEngine(c)
				if err != nil {
					return err
				}
				n, err := e.Networks().Create(c.Args().First(), c.String("subnet"))
				if err != nil {
					return err
				}
				fmt.Println(n.Name)
				return nil
			},
		},
		{
			Name: "ls", Aliases: []string{"list"}, Usage: "list networks",
			Action: func(c *cli.Context) error {
				e, err := openEngine(c)
				if err != nil {
					return err
				}
				nets, err := e.Networks().List()
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
				fmt.Fprintln(w, "NAME\tBRIDGE\tSUBNET\tGATEWAY")
				for _, n := range nets {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", n.Name, n.Bridge, n.Subnet, n.Gateway)
				}
				return w.Flush()
			},
		},
		{
			Name: "inspect", Usage: "show a network and its containers as JSON", ArgsUsage: "NAME",
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return fmt.Errorf("network inspect: want one NAME")
				}
				e, err := openEngine(c)
				if err != nil {
					return err
				}
				n, members, err := e.Networks().Inspect(c.Args().First())
				if err != nil {
					return err
				}
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"network": n, "containers": members})
			},
		},
		{
			Name: "rm", Usage: "remove networks no container uses", ArgsUsage: "NAME...",
			Action: func(c *cli.Context) error {
				e, err := openEngine(c)
				if err != nil {
					return err
				}
				for _, name := range c.Args().Slice() {
					if err := e.Networks().Remove(name); err != nil {
						return err
					}
					fmt.Println(name)
				}
				return nil
			},
		},
	},
}

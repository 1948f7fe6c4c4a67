package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"husk/engine"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "run a command in a new container, in the foreground",
	ArgsUsage: "IMAGE [COMMAND [ARG...]]",
	Flags: append([]cli.Flag{
		&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
		&cli.StringFlag{Name: "name", Usage: "name the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (KEY=VALUE, or KEY to pass husk's own)"},
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "user to run as: name, uid, uid:gid or name:group"},
		&cli.StringFlag{Name: "hostname", Usage: "the container's hostname (default: its short id)"},
		&cli.StringFlag{Name: "entrypoint", Usage: "replace the image's entrypoint (\"\" to clear it)"},
		&cli.BoolFlag{Name: "read-only", Usage: "mount the container's root filesystem read-only"},
		&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "pass stdin to the container"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the container a terminal"},
		&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Value: "bridge",
			Usage: "bridge, none, host, container:NAME, or a network made with husk network create"},
		&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "publish a port: [HOSTIP:][HOSTPORT:]PORT[/tcp|/udp]"},
	}, resourceFlags...),
	Action: runAction,
}

func runAction(c *cli.Context) error {
	if c.NArg() < 1 {
		return fmt.Errorf("run: an IMAGE is required")
	}
	e, err := openEngine(c)
	if err != nil {
		return err
	}

	o := engine.RunOptions{
		Image:   c.Args().First(),
		Name:    c.String("name"),
		Network: c.String("network"),
		Ports:   c.StringSlice("publish"),
		ProcessOptions: engine.ProcessOptions{
			Command:   c.Args().Tail(),
			Env:       expandEnv(c.StringSlice("env")),
			Workdir:   c.String("workdir"),
			User:      c.String("user"),
			Hostname:  c.String("hostname"),
			TTY:       c.Bool("tty"),
			ReadOnly:  c.Bool("read-only"),
			Resources: resourceOptions(c),
		},
		Interactive: c.Bool("interactive"),
		Remove:      c.Bool("rm"),
		Stdin:       os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}
	if c.IsSet("entrypoint") {
		ep := c.String("entrypoint")
		o.Entrypoint = &ep
	}

	code, err := e.Run(o)
	if err != nil {
		if code == 0 {
			code = 125
		}
		return exitCode{code: code, err: err}
	}
	if code != 0 {
		return exitCode{code: code}
	}
	return nil
}

// expandEnv turns a bare KEY into KEY=VALUE from husk's own environment,
// and drops it when husk has no such variable, as Docker does.
func expandEnv(in []string) []string {
	var out []string
	for _, kv := range in {
		if strings.Contains(kv, "=") {
			out = append(out, kv)
			continue
		}
		if v, ok := os.LookupEnv(kv); ok {
			out = append(out, kv+"="+v)
		}
	}
	return out
}

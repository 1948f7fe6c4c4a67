package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"husk/capabilities"
	"husk/runtime"
)

var execCommand = &cli.Command{
	Name: "exec", Usage: "run a process in a running container", ArgsUsage: "ID [COMMAND [ARG...]]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "a JSON file with the process spec"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the process a terminal"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid here"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "add an environment variable"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID] to run as"},
		&cli.Int64SliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "supplementary gids"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
		&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile"},
		&cli.StringFlag{Name: "process-label", Usage: "SELinux label (not supported)"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds after stderr to the process"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "accepted for runc compatibility"},
	},
	// Flags end at the container id: what follows is the command.
	SkipFlagParsing: false,
	Action:          execAction,
}

func execAction(c *cli.Context) error {
	rt, id, err := runtimeFor(c)
	if err != nil {
		return err
	}
	proc, err := execProcess(c, rt, id)
	if err != nil {
		return err
	}

	var sigs chan os.Signal
	if !c.Bool("detach") {
		sigs = catchSignals()
		defer signal.Stop(sigs)
	}
	p, err := rt.Exec(runtime.ExecOptions{
		ID: id, Process: proc,
		Stdio:         runtime.Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
		ConsoleSocket: c.String("console-socket"), PidFile: c.String("pid-file"),
		PreserveFDs: c.Int("preserve-fds"),
	})
	if err != nil {
		return err
	}
	if c.Bool("detach") {
		p.Release()
		return nil
	}
	code, err := foreground(p, sigs, func() error { return nil })
	if err != nil {
		return err
	}
	return exitCode(code)
}

// execProcess is the process to exec: the --process file, or the
// container's own process with the command line's changes, as runc builds
// it.
func execProcess(c *cli.Context, rt *runtime.Runtime, id string) (*specs.Process, error) {
	if path := c.String("process"); path != "" {
		return readProcess(path)
	}
	if c.NArg() < 2 {
		return nil, errors.New("exec: a command (or --process) is required")
	}
	spec, err := rt.Spec(id)
	if err != nil {
		return nil, err
	}

	p := *spec.Process
	p.Args = c.Args().Tail()
	p.Terminal = c.Bool("tty")
	p.ConsoleSize = nil
	p.Env = append(append([]string(nil), p.Env...), c.StringSlice("env")...)
	if c.IsSet("cwd") {
		p.Cwd = c.String("cwd")
	}
	if c.IsSet("no-new-privs") {
		p.NoNewPrivileges = c.Bool("no-new-privs")
	}
	if c.IsSet("apparmor") {
		p.ApparmorProfile = c.String("apparmor")
	}
	if c.String("process-label") != "" {
		return nil, errors.New("--process-label: SELinux is not supported")
	}
	if err := execUser(c, &p); err != nil {
		return nil, err
	}
	return &p, addCaps(&p, c.StringSlice("cap"))
}

func readProcess(path string) (*specs.Process, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--process: %w", err)
	}
	var p specs.Process
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("--process %q: %w", path, err)
	}
	return &p, nil
}

// execUser applies --user UID[:GID] and --additional-gids.
func execUser(c *cli.Context, p *specs.Process) error {
	if u := c.String("user"); u != "" {
		uidStr, gidStr, hasGid := strings.Cut(u, ":")
		uid, err := strconv.ParseUint(uidStr, 10, 32)
		if err != nil {
			return fmt.Errorf("--user %q: want UID[:GID] as numbers", u)
		}
		p.User.UID = uint32(uid)
		if hasGid {
			gid, err := strconv.ParseUint(gidStr, 10, 32)
			if err != nil {
				return fmt.Errorf("--user %q: want UID[:GID] as numbers", u)
			}
			p.User.GID = uint32(gid)
		}
	}
	for _, g := range c.Int64Slice("additional-gids") {
		if g < 0 || g > 1<<32-1 {
			return fmt.Errorf("--additional-gids %d: out of range", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	return nil
}

// addCaps adds --cap capabilities to every set but the ambient one.
func addCaps(p *specs.Process, caps []string) error {
	if len(caps) == 0 {
		return nil
	}
	if _, err := capabilities.Parse(caps); err != nil {
		return fmt.Errorf("--cap: %w", err)
	}
	if p.Capabilities == nil {
		p.Capabilities = &specs.LinuxCapabilities{}
	} else {
		c := *p.Capabilities
		p.Capabilities = &c
	}
	for _, name := range caps {
		name = strings.ToUpper(name)
		if !strings.HasPrefix(name, "CAP_") {
			name = "CAP_" + name
		}
		c := p.Capabilities
		c.Bounding = append(c.Bounding, name)
		c.Effective = append(c.Effective, name)
		c.Permitted = append(c.Permitted, name)
		c.Inheritable = append(c.Inheritable, name)
	}
	return nil
}

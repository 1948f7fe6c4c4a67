// Command huskrt is an OCI runtime with runc's command line, so that
// containerd, podman and Kubernetes (through containerd's CRI) can use it
// unchanged.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"husk/internal/cliflags"
	"husk/internal/timerslack"
	"husk/runtime"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if runtime.IsInit() {
		runtime.Init()
	}
	// Before anything else: Go's monitor thread polls every 20 µs in a
	// program's first millisecond (see package timerslack).
	timerslack.Relax()

	app := &cli.App{
		Name:    "huskrt",
		Usage:   "an OCI runtime with runc's command line",
		Version: version + "\nspec: " + specVersion(),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: "/run/huskrt", Usage: "where container state is kept"},
			&cli.StringFlag{Name: "log", Usage: "write the log to this file (default stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "log each step"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "use systemd for cgroups (not supported: an error)"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "rootless mode: true, false or auto"},
			&cli.StringFlag{Name: "criu", Hidden: true, Usage: "accepted for runc compatibility; checkpoint is not supported"},
		},
		Before:         setup,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			createCommand, startCommand, runCommand, stateCommand, killCommand,
			deleteCommand, execCommand, psCommand, listCommand, pauseCommand,
			resumeCommand, updateCommand, eventsCommand, featuresCommand, specCommand,
		},
	}

	cliflags.Cache(app.Commands, app.Flags)
	err := app.Run(os.Args)
	var ex exitCode
	switch {
	case err == nil:
	case errors.As(err, &ex):
		os.Exit(int(ex))
	default:
		fatal(err)
	}
}

// exitCode makes huskrt exit with a container process's status.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// fatal reports err in the --log file, where containerd's shim reads the
// last entry of level "error", and as one plain line on stderr, then
// exits 1 as runc does.
func fatal(err error) {
	if logFile != nil {
		slog.Error(err.Error())
	}
	fmt.Fprintln(os.Stderr, "huskrt: "+err.Error())
	os.Exit(1)
}

// logFile is the --log file, when one was given.
var logFile *os.File

// setup checks the global flags and opens the log.
func setup(c *cli.Context) error {
	if err := openLog(c); err != nil {
		return err
	}
	if c.Bool("systemd-cgroup") {
		return errors.New("--systemd-cgroup: the systemd cgroup driver is not supported; use cgroupfs paths")
	}
	switch c.String("rootless") {
	case "auto", "false":
	case "true":
		if os.Geteuid() == 0 {
			return errors.New("--rootless=true: huskrt is running as root")
		}
		return errors.New("--rootless=true: rootless containers are not supported")
	default:
		return fmt.Errorf("--rootless %q: want true, false or auto", c.String("rootless"))
	}
	return nil
}

func openLog(c *cli.Context) error {
	var w io.Writer = os.Stderr
	if path := c.String("log"); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open log %q: %w", path, err)
		}
		logFile, w = f, f
	}

	level := slog.LevelWarn
	if c.Bool("debug") {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: runcLogKeys}
	switch c.String("log-format") {
	case "text":
		slog.SetDefault(slog.New(slog.NewTextHandler(w, opts)))
	case "json":
		slog.SetDefault(slog.New(slog.NewJSONHandler(w, opts)))
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.String("log-format"))
	}
	return nil
}

// runcLogKeys writes levels in lower case ("error"), as runc's logrus
// does and containerd's shim expects when it reads the log.
func runcLogKeys(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey {
		return slog.String(slog.LevelKey, strings.ToLower(a.Value.String()))
	}
	return a
}

func openRuntime(c *cli.Context) (*runtime.Runtime, error) {
	return runtime.New(c.String("root"))
}

// runtimeFor returns the runtime and the container id a command names.
func runtimeFor(c *cli.Context) (*runtime.Runtime, string, error) {
	id, err := oneID(c)
	if err != nil {
		return nil, "", err
	}
	rt, err := openRuntime(c)
	return rt, id, err
}

// oneID returns the command's single container id argument.
func oneID(c *cli.Context) (string, error) {
	if c.NArg() < 1 {
		return "", fmt.Errorf("%s: a container id is required", c.Command.Name)
	}
	return c.Args().First(), nil
}

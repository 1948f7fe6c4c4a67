// Command husk runs containers from OCI images without a daemon.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"husk/engine"
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
	started := time.Now()

	app := &cli.App{
		Name:                 "husk",
		Usage:                "run containers from OCI images, without a daemon",
		Version:              version,
		EnableBashCompletion: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: engine.DefaultRoot, Usage: "where images and containers are kept", EnvVars: []string{"HUSK_ROOT"}},
			&cli.BoolFlag{Name: "debug", Usage: "log each step to stderr"},
		},
		ExitErrHandler: func(*cli.Context, error) {},
		Before: func(c *cli.Context) error {
			level := slog.LevelWarn
			if c.Bool("debug") {
				level = slog.LevelDebug
			}
			// Each line says when it happened since husk started, which
			// is what one reads a start-up's steps for.
			since := func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.String("t", fmt.Sprintf("+%.3fms", time.Since(started).Seconds()*1000))
				}
				return a
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr,
				&slog.HandlerOptions{Level: level, ReplaceAttr: since})))
			return nil
		},
		// Errors are one line on stderr, not the help text on stdout.
		OnUsageError: usageError,
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(os.Stderr, "husk: unknown command %q: see husk --help\n", name)
			os.Exit(125)
		},
		Commands: []*cli.Command{
			runCommand, psCommand, rmCommand, updateCommand, statsCommand, infoCommand,
			imagesCommand, rmiCommand, imageCommand, networkCommand, benchCommand,
		},
	}

	setUsageError(app.Commands)
	cliflags.Cache(app.Commands, app.Flags)

	if err := app.Run(os.Args); err != nil {
		var ex exitCode
		if errors.As(err, &ex) {
			if ex.err != nil {
				fmt.Fprintf(os.Stderr, "husk: %v\n", ex.err)
			}
			os.Exit(ex.code)
		}
		var ue usageErr
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, ue)
			os.Exit(125)
		}
		fmt.Fprintf(os.Stderr, "husk: %v\n", err)
		os.Exit(125)
	}
}

// exitCode makes husk exit with code, printing err first when set.
type exitCode struct {
	code int
	err  error
}

func (e exitCode) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func openEngine(c *cli.Context) (*engine.Engine, error) {
	if c.String("root") == "" {
		return nil, errors.New("--root: empty: name the directory for images and containers")
	}
	start := time.Now()
	e, err := engine.Open(c.String("root"))
	slog.Debug("store opened", "took", time.Since(start))
	return e, err
}

// setUsageError gives every command one-line usage errors and lets its
// one-letter flags combine, as in `husk ps -aq`.
func setUsageError(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = usageError
		c.UseShortOptionHandling = true
		setUsageError(c.Subcommands)
	}
}

// usageError reports a bad flag in one line, without the help text, in
// the flag's own spelling: "husk run: unknown flag --read-only".
func usageError(c *cli.Context, err error, _ bool) error {
	name := "husk"
	for _, ctx := range slices.Backward(c.Lineage()) {
		if ctx.Command != nil && ctx.Command.Name != "" && ctx.Command.Name != c.App.Name {
			name += " " + ctx.Command.Name
		}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag " + asTyped(strings.TrimPrefix(f, "-"))
	} else if v, f, ok := strings.Cut(msg, " for flag -"); ok && strings.HasPrefix(v, "invalid value ") {
		f, _, _ = strings.Cut(f, ":")
		msg = asTyped(strings.TrimPrefix(f, "-")) + ": " + v
	}
	return usageErr(fmt.Sprintf("%s: %s (see %s --help)", name, msg, name))
}

// asTyped spells flag name as the command line did: "-aq" when the user
// typed one dash (combined one-letter flags), else "--name".
func asTyped(name string) string {
	if slices.Contains(os.Args[1:], "-"+name) {
		return "-" + name
	}
	return "--" + name
}

// usageErr is a usage error whose text already names the command.
type usageErr string

func (e usageErr) Error() string { return string(e) }

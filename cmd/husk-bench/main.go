// Command husk-bench is `husk bench`: husk runs it from beside itself, as a
// plugin, with the arguments that follow "bench". It is a binary of its
// own so that husk, whose every container start pays for its binary's size
// and package initialisation, carries none of the benchmark's code (0.1 ms
// of each `husk run` here).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"husk/bench"
)

func main() {
	app := &cli.App{
		Name:            "husk bench",
		Usage:           "measure start-up, memory and disk of husk against runc, crun, unshare and a VM",
		UsageText:       "husk bench [--runs N] [--skip-vm] [--containers N] [--vms N] [--json] [--svg FILE] ...",
		Description:     description,
		Flags:           flags,
		Action:          runBench,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {},
	}
	if err := app.Run(os.Args); err != nil {
		code := 125
		var ex exitCode
		if errors.As(err, &ex) {
			code, err = ex.code, ex.err
		}
		fmt.Fprintf(os.Stderr, "husk: %v\n", err)
		os.Exit(code)
	}
}

// exitCode makes husk-bench exit with code after printing err.
type exitCode struct {
	code int
	err  error
}

func (e exitCode) Error() string { return e.err.Error() }

const description = `Runs /bin/true in busybox under every contender, interleaved, and reports
p50/p90/p99 start-up times with ratios to runc and to the unshare floor; then
the memory of idle containers and VMs, and the image's size against the VM's
kernel and initramfs. Everything runs in a temp dir and is removed at the end.`

var flags = []cli.Flag{
	&cli.StringFlag{Name: "husk", Usage: "the husk binary (default: beside husk-bench)", Hidden: true},
	&cli.IntFlag{Name: "runs", Value: 50, Usage: "interleaved start-up rounds"},
	&cli.IntFlag{Name: "vm-runs", Usage: "rounds that boot the VM", DefaultText: "max(3, runs/10)"},
	&cli.IntFlag{Name: "containers", Value: 10, Usage: "idle containers per runtime in the memory test (0 skips it)"},
	&cli.IntFlag{Name: "vms", Value: 2, Usage: "idle VMs in the memory test"},
	&cli.BoolFlag{Name: "skip-vm", Usage: "leave the VM out"},
	&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
	&cli.StringFlag{Name: "svg", Usage: "write a bar chart of the report to `FILE`"},
	&cli.StringFlag{Name: "images", Usage: "the busybox OCI layout, or a `DIR` holding " + bench.BusyboxLayout, EnvVars: []string{"HUSK_TEST_IMAGES"}},
	&cli.StringFlag{Name: "huskrt", Usage: "the huskrt binary (default: beside husk, then PATH)"},
	&cli.StringFlag{Name: "vm-cache", Value: bench.DefaultVMCache, Usage: "where the VM's Debian kernel is kept", EnvVars: []string{"HUSK_VM_CACHE"}},
	&cli.BoolFlag{Name: "install", Usage: "apt-get install the missing runc, crun and qemu-system-x86"},
}

func runBench(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("bench: takes no arguments")
	}
	layout, err := bench.FindImage(c.String("images"))
	if err != nil {
		return err
	}
	husk := c.String("husk")
	if husk == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		husk = filepath.Join(filepath.Dir(self), "husk")
	}
	// A closed output (husk bench | head) or terminal ends the run as
	// Ctrl-C does: what it started is removed, its temp dir included.
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer stop()

	rep, err := bench.Run(ctx, bench.Options{
		Husk:       husk,
		Huskrt:     c.String("huskrt"),
		Image:      layout,
		Runs:       c.Int("runs"),
		VMRuns:     c.Int("vm-runs"),
		Containers: c.Int("containers"),
		VMs:        c.Int("vms"),
		SkipVM:     c.Bool("skip-vm"),
		VMCache:    c.String("vm-cache"),
		Install:    c.Bool("install"),
		Log:        os.Stderr,
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return exitCode{code: 130, err: errors.New("bench: interrupted; what it started is removed")}
	}
	if rep == nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(rep); jerr != nil {
			return jerr
		}
	} else {
		fmt.Println()
		rep.WriteText(os.Stdout)
	}
	if path := c.String("svg"); path != "" && err == nil {
		if serr := writeSVG(path, rep); serr != nil {
			return serr
		}
	}
	return err
}

func writeSVG(path string, rep *bench.Report) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := rep.WriteSVG(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

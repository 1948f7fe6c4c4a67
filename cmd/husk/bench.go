package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/urfave/cli/v2"

	"husk/internal/beside"
	"husk/internal/timerslack"
)

// benchCommand is a plugin: it execs husk-bench (cmd/husk-bench) from
// beside husk with the arguments that follow "bench", so that husk itself
// carries none of the benchmark's code.
var benchCommand = &cli.Command{
	Name:            "bench",
	Usage:           "measure start-up, memory and disk of husk against runc, crun, unshare and a VM",
	ArgsUsage:       "[--runs N] [--skip-vm] [--json] ...  (husk bench --help lists them)",
	SkipFlagParsing: true,
	Action:          execBench,
}

func execBench(c *cli.Context) error {
	path, err := beside.Find("husk-bench")
	if err != nil {
		return fmt.Errorf("bench: %w: install it there (make build puts both in bin/)", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	// The contenders (runc, qemu, unshare, husk itself) run with the
	// caller's timer slack, as they would alone; exec keeps this thread's.
	timerslack.Restore()
	argv := append([]string{"husk-bench", "--husk", self}, c.Args().Slice()...)
	return fmt.Errorf("bench: exec %s: %w", path, syscall.Exec(path, argv, os.Environ()))
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

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
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	path, err := exec.LookPath(filepath.Join(filepath.Dir(self), "husk-bench"))
	if err != nil {
		return fmt.Errorf("bench: husk-bench is not beside %s: install it there (make build puts both in bin/)", self)
	}
	// The contenders (runc, qemu, unshare, husk itself) run with the
	// caller's timer slack, as they would alone; exec keeps this thread's.
	timerslack.Restore()
	argv := append([]string{"husk-bench", "--husk", self}, c.Args().Slice()...)
	return fmt.Errorf("bench: exec %s: %w", path, syscall.Exec(path, argv, os.Environ()))
}

package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"husk/console"
	"husk/runtime"
)

// runAction creates and starts a container; as runc does, a container
// that fails to start is deleted again, and a foreground one is deleted
// after it exits unless --keep.
func runAction(c *cli.Context) error {
	rt, err := openRuntime(c)
	if err != nil {
		return err
	}
	if c.Bool("detach") {
		if _, err := create(c, false); err != nil {
			return err
		}
		if err := rt.Start(c.Args().First()); err != nil {
			rt.Delete(c.Args().First(), true)
			return err
		}
		return nil
	}

	sigs := catchSignals()
	defer signal.Stop(sigs)
	p, err := create(c, true)
	if err != nil {
		return err
	}
	code, err := foreground(p, sigs, func() error { return p.StartForeground() })
	if err != nil || !c.Bool("keep") {
		if delErr := rt.Delete(p.ID, true); err == nil {
			err = delErr
		}
	}
	if err != nil {
		return err
	}
	return exitCode(code)
}

// catchSignals starts catching every signal huskrt forwards, before the
// process exists, so none is lost while it starts.
func catchSignals() chan os.Signal {
	ch := make(chan os.Signal, 64)
	signal.Notify(ch)
	return ch
}

// foreground runs a process to its end: after start, it wires the
// terminal when the process has one, forwards signals and waits.
func foreground(p *runtime.Process, sigs chan os.Signal, start func() error) (int, error) {
	term, err := console.New(os.Stdin, os.Stdout, p.Console != nil, true)
	if err != nil {
		return 0, err
	}
	defer term.Restore()
	if err := start(); err != nil {
		p.Signal(unix.SIGKILL)
		p.Wait()
		return 0, err
	}

	copied := term.Attach(p.Console)
	done := make(chan struct{})
	go forward(p, term, sigs, done)
	code, err := p.Wait()
	close(done)
	<-copied
	return code, err
}

// forward passes signals to the process, as runc does; SIGCHLD is ours,
// SIGURG is the Go runtime's, and SIGWINCH resizes the pty.
func forward(p *runtime.Process, term *console.Terminal, sigs chan os.Signal, done chan struct{}) {
	for {
		select {
		case <-done:
			return
		case s := <-sigs:
			sig := s.(syscall.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG:
			case unix.SIGWINCH:
				term.Resize(p.Console)
			default:
				p.Signal(sig)
			}
		}
	}
}

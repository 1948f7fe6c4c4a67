package engine

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"husk/console"
	"husk/runtime"
)

// forwarded are the signals husk passes on to a foreground container.
// SIGURG is left out on purpose: the Go runtime uses it for preemption.
var forwarded = []os.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1,
	unix.SIGUSR2, unix.SIGALRM, unix.SIGPIPE, unix.SIGCONT, unix.SIGWINCH,
}

// terminating are the forwarded signals whose default action ends a
// process.
var terminating = map[unix.Signal]bool{
	unix.SIGHUP: true, unix.SIGINT: true, unix.SIGQUIT: true, unix.SIGTERM: true,
	unix.SIGUSR1: true, unix.SIGUSR2: true, unix.SIGALRM: true, unix.SIGPIPE: true,
}

// forwarder passes signals received by husk to the container's process.
//
// The kernel drops a signal sent to a pid namespace's init unless the init
// has a handler for it, so `husk run IMAGE sleep 100` would never end on
// Ctrl-C or SIGTERM. When the init neither handles nor ignores a
// terminating signal, husk applies the signal's default action itself: it
// kills the container and exits 128+N, as if the signal had killed it.
type forwarder struct {
	ch      chan os.Signal
	done    chan struct{}
	started bool
	stopped bool

	mu     sync.Mutex
	killed unix.Signal
}

// catchSignals starts catching the forwarded signals; they queue until
// forward is called.
func catchSignals() *forwarder {
	f := &forwarder{ch: make(chan os.Signal, 32), done: make(chan struct{})}
	signal.Notify(f.ch, forwarded...)
	return f
}

// forward passes caught signals on to the container until stop.
func (f *forwarder) forward(ctr *runtime.Process, term *console.Terminal) {
	f.started = true
	go f.loop(ctr, term)
}

func (f *forwarder) loop(ctr *runtime.Process, term *console.Terminal) {
	defer close(f.done)
	for s := range f.ch {
		sig := s.(syscall.Signal)
		if sig == unix.SIGWINCH {
			term.Resize(ctr.Console)
			continue
		}
		ctr.Signal(sig)
		if terminating[sig] && !handles(ctr.Pid, sig) {
			f.mu.Lock()
			f.killed = sig
			f.mu.Unlock()
			ctr.Signal(unix.SIGKILL)
		}
	}
}

// stop ends forwarding and restores the default handling of signals.
// It is safe to call more than once.
func (f *forwarder) stop() {
	if f.stopped {
		return
	}
	f.stopped = true
	signal.Stop(f.ch)
	close(f.ch)
	if f.started {
		<-f.done
	}
}

// killedBy returns the signal whose default action husk applied, or 0.
func (f *forwarder) killedBy() unix.Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.killed
}

// handles reports whether pid catches or ignores sig, from the SigCgt and
// SigIgn masks of /proc/PID/status. When in doubt it says yes, so husk
// never kills a container that might have dealt with the signal.
func handles(pid int, sig unix.Signal) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return true
	}
	caught, ignored := sigMask(string(data), "SigCgt:"), sigMask(string(data), "SigIgn:")
	bit := uint64(1) << (uint(sig) - 1)
	return (caught|ignored)&bit != 0
}

// sigMask parses one hexadecimal signal mask line of /proc/PID/status;
// an unreadable mask counts as every signal handled.
func sigMask(status, field string) uint64 {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return ^uint64(0)
			}
			return m
		}
	}
	return ^uint64(0)
}

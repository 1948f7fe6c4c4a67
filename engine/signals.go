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

// The signals husk passes on to a foreground container, in two sets:
// those that end a Go program that does not catch them, and those the Go
// runtime ignores until a program asks for them. SIGURG is left out on
// purpose: the Go runtime uses it for preemption.
var (
	fatalToHusk = []os.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM}
	ignoredByGo = []os.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGPIPE, unix.SIGCONT, unix.SIGWINCH}
)

// terminating are the forwarded signals whose default action ends a
// process.
var terminating = map[unix.Signal]bool{
	unix.SIGHUP: true, unix.SIGINT: true, unix.SIGQUIT: true, unix.SIGTERM: true,
	unix.SIGUSR1: true, unix.SIGUSR2: true, unix.SIGALRM: true, unix.SIGPIPE: true,
}

// forwarder passes signals received by husk to the container's process.
//
// It catches them from the moment `husk run` starts: one that arrives
// while the container is being made must not kill husk with half a
// container on disk. Until the container runs, terminating signals are
// only recorded (see interrupted); after, each is forwarded.
//
// The kernel drops a signal sent to a pid namespace's init unless the init
// has a handler for it, so `husk run IMAGE sleep 100` would never end on
// Ctrl-C or SIGTERM. When the init neither handles nor ignores a
// terminating signal, husk applies the signal's default action itself: it
// kills the container and exits 128+N, as if the signal had killed it.
type forwarder struct {
	ch chan os.Signal
	// fatal is closed once fatalToHusk are caught, rest once ignoredByGo
	// are too (see catchSignals).
	fatal, rest chan struct{}

	mu     sync.Mutex
	ctr    *runtime.Process
	term   *console.Terminal
	early  unix.Signal // the first terminating signal before the start
	killed unix.Signal // the signal whose default action husk applied
	closed bool
}

// catchSignals starts catching the forwarded signals on another
// goroutine: signal.Notify waits for a round trip with the Go runtime's
// signal-mask thread per signal, ~50 us each here, which overlaps the
// image's lookup that way. fatalToHusk come first: until they are caught
// (armed), one of them still ends husk, so nothing of the container may
// be made before. ignoredByGo are only needed once the container runs
// (forward waits for them); until they are caught the runtime ignores
// them, as husk then does.
func catchSignals() *forwarder {
	f := &forwarder{ch: make(chan os.Signal, 32), fatal: make(chan struct{}), rest: make(chan struct{})}
	go func() {
		signal.Notify(f.ch, fatalToHusk...)
		close(f.fatal)
		signal.Notify(f.ch, ignoredByGo...)
		close(f.rest)
	}()
	go f.loop()
	return f
}

// armed returns once fatalToHusk are caught: from then on, a signal that
// would end husk is recorded instead (see interrupted).
func (f *forwarder) armed() { <-f.fatal }

// interrupted returns the terminating signal received before the
// container started, or 0.
func (f *forwarder) interrupted() unix.Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.early
}

// forward starts passing signals on to ctr, first the one that came early.
func (f *forwarder) forward(ctr *runtime.Process, term *console.Terminal) {
	<-f.rest
	f.mu.Lock()
	f.ctr, f.term = ctr, term
	early := f.early
	f.mu.Unlock()
	if early != 0 {
		f.deliver(early)
	}
}

func (f *forwarder) loop() {
	for s := range f.ch {
		sig := s.(syscall.Signal)
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			continue
		}
		started := f.ctr != nil
		if !started && terminating[sig] && f.early == 0 {
			f.early = sig
		}
		f.mu.Unlock()
		if started {
			f.deliver(sig)
		}
	}
}

func (f *forwarder) deliver(sig unix.Signal) {
	f.mu.Lock()
	ctr, term := f.ctr, f.term
	f.mu.Unlock()
	if sig == unix.SIGWINCH {
		term.Resize(ctr.Console)
		return
	}
	ctr.Signal(sig)
	if terminating[sig] && !handles(ctr.Pid, sig) {
		f.mu.Lock()
		f.killed = sig
		f.mu.Unlock()
		ctr.Signal(unix.SIGKILL)
	}
}

// stop ends forwarding. Signals that arrive later, while husk removes the
// container and exits, are still caught and are dropped, so a late Ctrl-C
// cannot cut a removal short. (signal.Stop, which would restore their
// default handling, waits for the runtime's signal loop to go idle:
// about 1 ms of every run here.) It is safe to call more than once.
func (f *forwarder) stop() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
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

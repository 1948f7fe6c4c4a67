// Package timerslack gives husk's threads a coarse timer slack and the
// processes husk starts the slack of husk's caller.
//
// Go's sysmon thread sleeps 20 µs at a time for a program's first
// millisecond, and again whenever it takes a P back from a blocking system
// call (its tick is fixed, golang/go#18236). In the VMs husk is measured
// on, each wake costs ~15 µs of a CPU that the container's init, starting
// on it at that moment, waits for: 0.2-0.3 ms of every `husk run`. With a 1 ms
// slack the kernel lets those sleeps run on to the next wake it has
// anyway. husk needs no timer finer than a millisecond; the processes it
// starts inherit the slack of the thread that forks them, so each is
// started through Start, from a thread set back to the caller's slack.
package timerslack

import (
	"os"
	goruntime "runtime"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Relaxed is the timer slack, in nanoseconds, Relax gives.
const Relaxed = 1_000_000

var (
	mu sync.Mutex
	// caller is the slack husk was started with, which the processes it
	// starts get back; 0 while husk's threads keep it.
	caller int
)

// Relax gives every thread of this process a 1 ms timer slack; threads
// made later inherit it from the thread that makes them. A thread whose
// slack cannot be set (no CAP_SYS_NICE) keeps its own. A caller whose
// slack is already that coarse changes nothing.
func Relax() {
	mu.Lock()
	defer mu.Unlock()
	if caller != 0 {
		return
	}
	slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || slack >= Relaxed {
		return
	}
	caller = slack
	setAll(Relaxed)
}

// Restore gives every thread the caller's slack back, for a command that
// starts programs it does not start through Start (husk bench).
func Restore() {
	mu.Lock()
	defer mu.Unlock()
	if caller == 0 {
		return
	}
	setAll(caller)
	caller = 0
}

// setAll sets the slack of every thread of this process.
func setAll(slack int) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()

	unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(slack), 0, 0, 0)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	value := []byte(strconv.Itoa(slack))
	for _, t := range tasks {
		// A thread's own file is /proc/TID/timerslack_ns; the task
		// directories have none.
		if f, err := os.OpenFile("/proc/"+t.Name()+"/timerslack_ns", os.O_WRONLY, 0); err == nil {
			f.Write(value)
			f.Close()
		}
	}
}

// Start runs start, which starts a process (and may wait for it), on a
// thread whose timer slack is back to the caller's, so that the process
// inherits that and not Relax's.
func Start(start func() error) error {
	mu.Lock()
	slack := caller
	mu.Unlock()
	if slack == 0 {
		return start()
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()

	unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(slack), 0, 0, 0)
	err := start()
	unix.Prctl(unix.PR_SET_TIMERSLACK, Relaxed, 0, 0, 0)
	return err
}

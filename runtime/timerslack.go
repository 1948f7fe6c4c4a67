package runtime

import (
	"os"
	goruntime "runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// relaxedSlack is the timer slack, in nanoseconds, of a husk that starts
// containers (see RelaxTimers).
const relaxedSlack = 1_000_000

// hostSlack is the timer slack husk was started with, which the processes
// it starts get back; 0 while RelaxTimers has not run.
var hostSlack int

// RelaxTimers gives every thread of this process a 1 ms timer slack.
//
// Go's sysmon thread sleeps 20 µs at a time for a program's first
// millisecond, and again whenever it takes a P back from a blocking system
// call (its tick is fixed, golang/go#18236). In the VMs husk is measured
// on, each wake costs ~15 µs of a CPU that the container's init, starting
// on it at that moment, waits for: 0.3-0.8 ms of every `husk run`. With
// the slack the kernel lets those sleeps run on to the next wake it has
// anyway. husk needs no timer finer than a millisecond, and the processes
// it starts must not inherit the slack, so each is started through
// withHostSlack.
//
// Call it at the start of a command that starts containers; other
// commands, which start no process of the runtime's, need not. Threads
// made later inherit the slack from the thread that makes them. A thread
// whose slack cannot be set (no CAP_SYS_NICE) keeps its own.
func RelaxTimers() {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()

	slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || slack >= relaxedSlack {
		return
	}
	hostSlack = slack
	unix.Prctl(unix.PR_SET_TIMERSLACK, relaxedSlack, 0, 0, 0)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	value := []byte(strconv.Itoa(relaxedSlack))
	for _, t := range tasks {
		// A thread's own file is /proc/TID/timerslack_ns; the task
		// directories have none.
		if f, err := os.OpenFile("/proc/"+t.Name()+"/timerslack_ns", os.O_WRONLY, 0); err == nil {
			f.Write(value)
			f.Close()
		}
	}
}

// withHostSlack runs start, which starts a process, on a thread whose
// timer slack is back to husk's own, so that the process inherits that
// and not RelaxTimers's.
func withHostSlack(start func() error) error {
	if hostSlack == 0 {
		return start()
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()

	unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(hostSlack), 0, 0, 0)
	err := start()
	unix.Prctl(unix.PR_SET_TIMERSLACK, relaxedSlack, 0, 0, 0)
	return err
}

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Fleet starts idle instances of one contender for the memory test.
type Fleet struct {
	Name string
	// Start starts instance i and returns once it idles.
	Start func(ctx context.Context, i int) (*Instance, error)
}

// Instance is one idle container or VM.
type Instance struct {
	// Roots are the host processes the instance consists of, with their
	// descendants: a runtime helper that stays (husk run in the
	// foreground) and the container's init, or qemu.
	Roots []int
	// Stop ends the instance and removes what it left.
	Stop func(ctx context.Context) error
}

// measureFleet starts n instances of f, measures what they use once
// idle, and stops them. An instance that fails to start fails the
// fleet, after the ones started are stopped.
//
// The host's cost is read from MemAvailable before the instances start,
// while they idle and after they stop, as (before+after)/2 - idle: the
// rest of a shared machine moves MemAvailable too, and a steady drift
// (another session's build filling the page cache) cancels out of that
// difference where a plain before-idle would count it.
func measureFleet(ctx context.Context, f Fleet, n int, settle time.Duration) (res MemoryResult, err error) {
	reapZombies()
	time.Sleep(300 * time.Millisecond)
	before, err := steadyMemAvailable()
	if err != nil {
		return res, err
	}
	var started []*Instance
	stopAll := func() error {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		var first error
		for _, in := range started {
			if err := in.Stop(stopCtx); err != nil && first == nil {
				first = fmt.Errorf("stop: %w", err)
			}
		}
		started = nil
		reapZombies()
		return first
	}
	defer func() {
		if stopErr := stopAll(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	for i := 0; i < n; i++ {
		in, err := f.Start(ctx, i)
		if err != nil {
			return res, fmt.Errorf("start instance %d: %w", i+1, err)
		}
		started = append(started, in)
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	idle, err := steadyMemAvailable()
	if err != nil {
		return res, err
	}
	var roots []int
	for _, in := range started {
		roots = append(roots, in.Roots...)
	}
	pssKiB, procs, err := treePSS(roots...)
	if err != nil {
		return res, err
	}
	if err := stopAll(); err != nil {
		return res, err
	}
	time.Sleep(300 * time.Millisecond)
	after, err := steadyMemAvailable()
	if err != nil {
		return res, err
	}
	// A footprint below the machine's noise can come out negative:
	// report it as nothing rather than as memory given back.
	host := max(((before+after)/2-idle)/int64(n), 0)
	return MemoryResult{
		Name:               f.Name,
		Instances:          n,
		HostKiBPerInstance: host,
		PSSKiBPerInstance:  pssKiB / int64(n),
		Processes:          (procs + n/2) / n,
	}, nil
}

// steadyMemAvailable returns the median of a few reads of MemAvailable,
// so one burst of another process's allocations does not count.
func steadyMemAvailable() (int64, error) {
	var reads []int64
	for i := 0; i < 5; i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		kib, err := memAvailable()
		if err != nil {
			return 0, err
		}
		reads = append(reads, kib)
	}
	slices.Sort(reads)
	return reads[len(reads)/2], nil
}

// waitIdle waits until a process named comm runs under root: the
// container's command has been exec'd and is idling.
func waitIdle(ctx context.Context, root int, comm string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ps, err := processes()
		if err != nil {
			return err
		}
		byPid := map[int]procStat{}
		for _, p := range ps {
			byPid[p.pid] = p
		}
		for _, pid := range descendants(ps, root) {
			if p, ok := byPid[pid]; ok && p.comm == comm {
				return nil
			}
		}
		if _, ok := byPid[root]; !ok {
			return fmt.Errorf("pid %d exited before %s ran", root, comm)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s did not start under pid %d", comm, root)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// huskFleet runs `husk run --rm IMAGE sleep 3600` in the background: the
// husk process stays as the container's parent, and counts.
func (e *env) huskFleet() Fleet {
	return Fleet{Name: NameHuskIdle, Start: func(ctx context.Context, i int) (*Instance, error) {
		name := e.id("mem")
		cmd := e.rt.command([]string{e.husk, "--root", e.store, "run", "--rm", "--network", "none", "--name", name, e.image, "sleep", "3600"})
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		stop := func(ctx context.Context) error {
			// sleep, pid 1 of its namespace, does not handle SIGTERM, so
			// husk kills the container and removes it (--rm).
			cmd.Process.Signal(unix.SIGTERM)
			select {
			case <-done:
				return nil
			case <-time.After(10 * time.Second):
			case <-ctx.Done():
			}
			cmd.Process.Kill()
			<-done
			return e.rt.run(ctx, e.husk, "--root", e.store, "rm", "-f", name)
		}
		in := &Instance{Roots: []int{cmd.Process.Pid}, Stop: stop}
		if err := waitIdle(ctx, cmd.Process.Pid, "sleep"); err != nil {
			in.Stop(ctx)
			return nil, fmt.Errorf("%w%s", err, e.rt.printed())
		}
		return in, nil
	}}
}

// ociFleet runs `RUNTIME run -d` on the sleeping bundle: the runtime
// exits and only the container's init stays (adopted by the benchmark,
// its subreaper).
func (e *env) ociFleet(name, binary, kind string) Fleet {
	root := e.stateRoot(kind)
	return Fleet{Name: name, Start: func(ctx context.Context, i int) (*Instance, error) {
		id := e.id(kind + "-mem")
		pidFile := filepath.Join(e.tmp, id+".pid")
		defer os.Remove(pidFile)
		if err := e.rt.run(ctx, binary, "--root", root, "run", "-d", "--bundle", e.sleeper, "--pid-file", pidFile, id); err != nil {
			e.forceDelete(binary, root, id)
			return nil, err
		}
		pid, err := readPid(pidFile)
		if err != nil {
			e.forceDelete(binary, root, id)
			return nil, err
		}
		stop := func(ctx context.Context) error {
			err := e.rt.run(ctx, binary, "--root", root, "delete", "--force", id)
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if werr := waitExit(wctx, pid); err == nil {
				err = werr
			}
			return err
		}
		in := &Instance{Roots: []int{pid}, Stop: stop}
		if err := waitIdle(ctx, pid, "sleep"); err != nil {
			in.Stop(ctx)
			return nil, err
		}
		return in, nil
	}}
}

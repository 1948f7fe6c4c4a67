package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// killTimeout bounds how long Kill(SIGKILL) waits for the cgroup to
// empty. A SIGKILLed task leaves quickly unless it is in an
// uninterruptible sleep.
const killTimeout = 5 * time.Second

// parseProcs parses a cgroup.procs file: one pid a line.
func parseProcs(s string) ([]int, error) {
	var pids []int
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		pid, err := strconv.Atoi(line)
		if err != nil {
			return nil, fmt.Errorf("parse cgroup.procs line %q: %w", line, err)
		}
		pids = append(pids, pid)
	}
	return pids, sc.Err()
}

// readProcs reads the pids of dir and, with recursive, of every cgroup
// below it, sorted.
func readProcs(dir string, recursive bool) ([]int, error) {
	var pids []int
	read := func(d string) error {
		s, err := readFile(d, "cgroup.procs")
		if err != nil {
			return fmt.Errorf("list processes: %w", err)
		}
		p, err := parseProcs(s)
		if err != nil {
			return fmt.Errorf("list processes of %q: %w", d, err)
		}
		pids = append(pids, p...)
		return nil
	}
	if !recursive {
		if err := read(dir); err != nil {
			return nil, err
		}
	} else {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				// A nested cgroup removed while walking is fine.
				if errors.Is(err, fs.ErrNotExist) && p != dir {
					return nil
				}
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if err := read(p); err != nil && !(p != dir && errors.Is(err, fs.ErrNotExist)) {
				return err
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}

// signalAll sends sig to every pid; a process that is already gone is
// fine.
func signalAll(pids []int, sig unix.Signal) error {
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("send %v to pid %d: %w", sig, pid, err)
		}
	}
	return nil
}

// Kill implements Manager. Where the freezer is mounted the cgroup is
// frozen around each round of signals, so that no process can fork a
// child the round misses; the signals are delivered on thaw. For SIGKILL
// rounds repeat until the cgroup is empty, and a paused (frozen) cgroup
// is thawed, since a v1-frozen task cannot act on SIGKILL; other signals
// leave a paused cgroup paused, pending until it is thawed.
func (m *v1Manager) Kill(sig unix.Signal) error {
	_, hasFreezer := m.dirs["freezer"]
	paused := false
	if hasFreezer {
		var err error
		if paused, err = m.Frozen(); err != nil {
			return fmt.Errorf("kill: %w", err)
		}
	}
	freeze := hasFreezer && !paused
	thaw := hasFreezer && (!paused || sig == unix.SIGKILL)
	round := func() (bool, error) {
		pids, err := m.Procs(true)
		if err != nil || len(pids) == 0 {
			return len(pids) == 0, err
		}
		if freeze {
			if err := m.Freeze(); err != nil {
				return false, fmt.Errorf("kill: %w", err)
			}
			// Take the list again: it is final while frozen.
			if pids, err = m.Procs(true); err != nil {
				_ = m.Thaw()
				return false, err
			}
		}
		serr := signalAll(pids, sig)
		if thaw {
			if err := m.Thaw(); err != nil {
				return false, errors.Join(serr, fmt.Errorf("kill: %w", err))
			}
			freeze = hasFreezer // later rounds: freeze again
		}
		return sig != unix.SIGKILL, serr
	}
	if sig != unix.SIGKILL {
		_, err := round()
		return err
	}
	return waitEmpty(m, round)
}

// Kill implements Manager. SIGKILL uses cgroup.kill (Linux 5.14), which
// the kernel applies to the whole subtree at once, forks included; other
// signals, or older kernels, signal each process of the subtree.
func (m *v2Manager) Kill(sig unix.Signal) error {
	if sig == unix.SIGKILL && exists(m.dir, "cgroup.kill") {
		if err := writeFile(m.dir, "cgroup.kill", "1"); err != nil {
			return fmt.Errorf("kill: %w", err)
		}
		return waitEmpty(m, func() (bool, error) {
			pids, err := m.Procs(true)
			return len(pids) == 0, err
		})
	}
	round := func() (bool, error) {
		pids, err := m.Procs(true)
		if err != nil || len(pids) == 0 {
			return len(pids) == 0, err
		}
		return sig != unix.SIGKILL, signalAll(pids, sig)
	}
	if sig != unix.SIGKILL {
		_, err := round()
		return err
	}
	return waitEmpty(m, round)
}

// waitEmpty repeats round until it reports done, for up to killTimeout,
// and then names the processes left.
func waitEmpty(m Manager, round func() (bool, error)) error {
	ok, err := waitFor(killTimeout, round)
	if err != nil {
		return err
	}
	if !ok {
		pids, _ := m.Procs(true)
		return fmt.Errorf("kill %s: processes %v still there after %v", m.Path(), pids, killTimeout)
	}
	return nil
}

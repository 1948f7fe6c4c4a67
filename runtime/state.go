package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/internal/fsutil"
)

// ErrNotExist is returned for a container id with no state.
var ErrNotExist = errors.New("container does not exist")

// State is what the runtime keeps about one container: the OCI state plus
// what it needs to tell a live init from a reused pid.
type State struct {
	specs.State

	Created time.Time `json:"created"`
	// StartTime is the init's start time in clock ticks since boot
	// (field 22 of /proc/PID/stat); a pid whose start time differs is
	// some other process, and the container has stopped.
	StartTime uint64 `json:"startTime,omitempty"`
}

// Runtime keeps container state under one root directory.
type Runtime struct {
	root string
}

// New returns a runtime whose state lives under root, creating it.
func New(root string) (*Runtime, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root %q: %w", root, err)
	}
	return &Runtime{root: root}, nil
}

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$`)

// checkID refuses ids that could name a path outside the state root.
func checkID(id string) error {
	if !validID.MatchString(id) {
		return fmt.Errorf("container id %q: must be 1-128 letters, digits, '_', '.', '+' or '-'", id)
	}
	return nil
}

func (r *Runtime) dir(id string) string { return filepath.Join(r.root, id) }

// lock takes the container's lock; the caller must call the returned
// function to release it.
func (r *Runtime) lock(id string) (func(), error) {
	unlock, err := fsutil.Lock(filepath.Join(r.dir(id), "lock"), true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
	}
	return unlock, err
}

// save writes st atomically: a reader sees the old state or the new one.
func (r *Runtime) save(st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state of %q: %w", st.ID, err)
	}
	// Runtime state does not outlive a reboot, so it is not fsync'ed.
	return fsutil.WriteFile(filepath.Join(r.dir(st.ID), "state.json"), data, 0o600, false)
}

// State returns the container's state, with its status brought up to date:
// an init that is gone makes the container "stopped".
func (r *Runtime) State(id string) (*State, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(r.dir(id), "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read state of %q: %w", id, err)
	}

	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state of %q: %w", id, err)
	}
	if st.Status != specs.StateStopped && !alive(st.Pid, st.StartTime) {
		st.Status = specs.StateStopped
	}
	return &st, nil
}

// List returns the ids of every container with a state directory.
func (r *Runtime) List() ([]string, error) {
	entries, err := os.ReadDir(r.root)
	if err != nil {
		return nil, fmt.Errorf("list state root %q: %w", r.root, err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && checkID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// Delete removes the state of a container whose init is gone. A running
// container is refused unless force is set, in which case it is killed
// first.
func (r *Runtime) Delete(id string, force bool) error {
	st, err := r.State(id)
	if err != nil {
		return err
	}
	if st.Status != specs.StateStopped {
		if !force {
			return fmt.Errorf("container %q is %s: stop it first or force the delete", id, st.Status)
		}
		if err := unix.Kill(st.Pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("kill container %q: %w", id, err)
		}
		waitGone(st.Pid, st.StartTime, 5*time.Second)
	}
	if err := os.RemoveAll(r.dir(id)); err != nil {
		return fmt.Errorf("remove state of %q: %w", id, err)
	}
	return nil
}

// alive reports whether pid is still the process that started at start.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	got, err := processStartTime(pid)
	if err != nil {
		return false
	}
	return start == 0 || got == start
}

// waitGone polls until pid is no longer the process started at start.
func waitGone(pid int, start uint64, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for alive(pid, start) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// processStartTime reads field 22 of /proc/PID/stat. A zombie counts as
// gone: its container has stopped even if nobody reaped it yet.
func processStartTime(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStartTime(string(data))
}

// parseStartTime extracts the start time from the text of /proc/PID/stat.
// The command name (field 2) may hold spaces and parentheses, so fields
// are counted from the last ')'.
func parseStartTime(stat string) (uint64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	fields := strings.Fields(stat[i+1:])
	// fields[0] is field 3 (state); the start time is field 22.
	if len(fields) < 20 {
		return 0, errors.New("short /proc/PID/stat")
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return 0, syscall.ESRCH
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

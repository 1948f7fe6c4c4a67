package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/cgroups"
	"husk/internal/fsutil"
)

// ErrNotExist is returned for a container id with no state.
var ErrNotExist = errors.New("does not exist")

// State is what the runtime keeps about one container: the OCI state plus
// what it needs to tell a live init from a reused pid.
type State struct {
	specs.State

	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	// StartTime is the init's start time in clock ticks since boot
	// (field 22 of /proc/PID/stat); a pid whose start time differs is
	// some other process, and the container has stopped.
	StartTime   uint64 `json:"startTime,omitempty"`
	CgroupsPath string `json:"cgroupsPath,omitempty"`
	// CgroupView is the creator's view of cgroups, against which a
	// relative CgroupsPath was resolved.
	CgroupView *cgroups.View `json:"cgroupView,omitempty"`
	// Hooks are the spec's hooks, which start (poststart) and delete
	// (poststop) run, so that neither decodes the whole spec; HooksKept
	// tells a state written before they were kept here, whose hooks are
	// read from the spec copy.
	Hooks     *specs.Hooks `json:"hooks,omitempty"`
	HooksKept bool         `json:"hooksKept,omitempty"`
}

// ProcessRef names a process across pid reuse: its pid and its start time
// (see StartTime).
type ProcessRef struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// Alive reports whether the process still runs.
func (p *ProcessRef) Alive() bool { return alive(p.Pid, p.Start) }

// Self is this process.
var Self = sync.OnceValue(func() *ProcessRef {
	pid := os.Getpid()
	start, _ := processStartTime(pid)
	return &ProcessRef{Pid: pid, Start: start}
})

// hooks returns the container's hooks, or nil.
func (r *Runtime) hooks(st *State) *specs.Hooks {
	if st.HooksKept {
		return st.Hooks
	}
	if spec, err := r.Spec(st.ID); err == nil {
		return spec.Hooks
	}
	return nil
}

// Runtime keeps container state under one root directory.
type Runtime struct {
	root string
	// SeccompCache, when set, is a directory where compiled seccomp
	// filters are kept between runs (see compileCached).
	SeccompCache string
}

// New returns a runtime whose state lives under root, creating it.
func New(root string) (*Runtime, error) {
	if err := fsutil.MkdirTop(root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root %q: %w", root, err)
	}
	return &Runtime{root: root}, nil
}

// checkID refuses ids that could name a path outside the state root.
func checkID(id string) error {
	ok := id != "" && len(id) <= 1024 && id[0] != '.' && id[0] != '-'
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '+' || c == '-'
	}
	if !ok {
		return fmt.Errorf("container id %q: use letters, digits, '_', '.', '+' and '-', not starting with '.' or '-'", id)
	}
	return nil
}

func (r *Runtime) dir(id string) string { return filepath.Join(r.root, id) }

func (r *Runtime) fifoPath(id string) string { return filepath.Join(r.dir(id), "exec.fifo") }

// lock takes the container's lock; the caller must call the returned
// function to release it.
func (r *Runtime) lock(id string) (func(), error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	unlock, err := fsutil.LockDir(r.dir(id), true)
	if errors.Is(err, fs.ErrNotExist) {
		// Never made, or removed meanwhile by another delete.
		return nil, fmt.Errorf("container %q %w", id, ErrNotExist)
	}
	return unlock, err
}

// save writes st atomically. Runtime state does not outlive a reboot, so
// it is not fsync'ed: it sits on the start path.
func (r *Runtime) save(st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state of %q: %w", st.ID, err)
	}
	return fsutil.WriteFile(filepath.Join(r.dir(st.ID), "state.json"), data, 0o600, false)
}

// saveSpec keeps the container's spec for exec: raw, the bytes the caller
// decoded it from, or else spec encoded again.
func (r *Runtime) saveSpec(id string, spec *specs.Spec, raw []byte) error {
	data := raw
	if data == nil {
		var err error
		if data, err = json.Marshal(spec); err != nil {
			return fmt.Errorf("encode spec of %q: %w", id, err)
		}
	}
	return fsutil.WriteFile(filepath.Join(r.dir(id), "config.json"), data, 0o600, false)
}

// Spec returns the spec the container was created with.
func (r *Runtime) Spec(id string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(r.dir(id), "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(r.dir(id)); errors.Is(serr, os.ErrNotExist) {
			return nil, fmt.Errorf("container %q %w", id, ErrNotExist)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read spec of %q: %w", id, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("decode spec of %q: %w", id, err)
	}
	return &spec, nil
}

// State returns the container's state with its status brought up to date:
// stopped once the init is gone, created while the exec fifo waits,
// paused while its cgroup is frozen, else running.
func (r *Runtime) State(id string) (*State, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(r.dir(id), "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("container %q %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read state of %q: %w", id, err)
	}

	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state of %q: %w", id, err)
	}
	st.Status = r.status(&st)
	return &st, nil
}

func (r *Runtime) status(st *State) specs.ContainerState {
	switch {
	case !alive(st.Pid, st.StartTime):
		return specs.StateStopped
	case fileExists(r.fifoPath(st.ID)):
		return specs.StateCreated
	case r.frozen(st):
		return StatePaused
	}
	return specs.StateRunning
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

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
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
func waitGone(pid int, start uint64, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for alive(pid, start) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
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

// StatePaused is the status of a container whose cgroup is frozen. The
// runtime spec leaves it to runtimes; runc reports "paused".
const StatePaused specs.ContainerState = "paused"

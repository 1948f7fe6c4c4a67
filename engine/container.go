package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"husk/image"
	"husk/internal/fsutil"
	"husk/runtime"
)

// ErrNoContainer is returned when no container has the given name or id.
var ErrNoContainer = errors.New("no such container")

// Container is husk's record of one container.
type Container struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Image      string    `json:"image"`
	ImageID    string    `json:"imageId"`
	Command    []string  `json:"command"`
	Created    time.Time `json:"created"`
	AutoRemove bool      `json:"autoRemove,omitempty"`
	// Creator is the husk that made the container. A container without
	// runtime state whose creator is gone was left half made: it counts
	// as exited, so that rm and the reaping of --rm containers take it.
	Creator *runtime.ProcessRef `json:"creator,omitempty"`

	// Finished and ExitCode are set once husk has seen the process exit.
	Finished *time.Time `json:"finished,omitempty"`
	ExitCode *int       `json:"exitCode,omitempty"`

	// Status is derived on load from the runtime state: running, exited
	// or created; it is not stored.
	Status string `json:"-"`
	Pid    int    `json:"-"`
}

func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ShortID is the 12-character form of an id that husk prints.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func (e *Engine) saveRecord(c *Container) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode container %s: %w", ShortID(c.ID), err)
	}
	return fsutil.WriteFile(filepath.Join(e.containerDir(c.ID), "container.json"), data, 0o600, false)
}

func (e *Engine) loadRecord(id string) (*Container, error) {
	c, err := e.readRecord(id)
	if err != nil {
		return nil, err
	}
	c.Status = "created"
	if st, err := e.runtime.State(id); err == nil {
		c.Status, c.Pid = string(st.Status), st.Pid
		if st.Status == specs.StateStopped {
			c.Status, c.Pid = "exited", 0
		}
	} else if c.Finished != nil || c.Creator != nil && !c.Creator.Alive() {
		c.Status = "exited"
	}
	return c, nil
}

// readRecord decodes a container's record, without its status.
func (e *Engine) readRecord(id string) (*Container, error) {
	data, err := os.ReadFile(filepath.Join(e.containerDir(id), "container.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("container %q: %w", id, ErrNoContainer)
	}
	if err != nil {
		return nil, fmt.Errorf("read record of container %s: %w", ShortID(id), err)
	}
	var c Container
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode record of container %s: %w", ShortID(id), err)
	}
	return &c, nil
}

// List returns every container, newest first.
func (e *Engine) List() ([]*Container, error) {
	out, err := e.each(e.loadRecord)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// each loads every container with load; half-created ones, whose record
// is missing or torn, are left out (their creator removes them).
func (e *Engine) each(load func(id string) (*Container, error)) ([]*Container, error) {
	out, _, err := e.eachWithUnrecorded(load)
	return out, err
}

// eachWithUnrecorded is each, also returning the ids of directories
// without a record.
func (e *Engine) eachWithUnrecorded(load func(id string) (*Container, error)) ([]*Container, []string, error) {
	entries, err := os.ReadDir(filepath.Join(e.root, "containers"))
	if err != nil {
		return nil, nil, fmt.Errorf("list containers: %w", err)
	}
	var out []*Container
	var unrecorded []string
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		c, err := load(ent.Name())
		if err == nil {
			out = append(out, c)
		} else if errors.Is(err, ErrNoContainer) {
			unrecorded = append(unrecorded, ent.Name())
		}
	}
	return out, unrecorded, nil
}

// Lookup finds a container by name, full id or unique id prefix.
func (e *Engine) Lookup(ref string) (*Container, error) {
	all, err := e.List()
	if err != nil {
		return nil, err
	}
	var match []*Container
	for _, c := range all {
		if c.Name == ref || c.ID == ref {
			return c, nil
		}
		if len(ref) >= 3 && strings.HasPrefix(c.ID, ref) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("container %q: %w", ref, ErrNoContainer)
	case 1:
		return match[0], nil
	}
	return nil, fmt.Errorf("container %q: id prefix matches %d containers", ref, len(match))
}

// Remove deletes a container whole: its record, upper layer and state. A
// running container is refused unless force, which kills it first.
func (e *Engine) Remove(ref string, force bool) (*Container, error) {
	c, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if c.Status == "running" && !force {
		return nil, fmt.Errorf("container %q is running: remove it with --force, which kills it first", c.Name)
	}
	return c, e.remove(c.ID, force, c.Status == "exited")
}

// remove deletes the container's runtime state, network and record; force
// kills it first. stopped says its processes are known to be gone (it
// exited): then its rootfs is unmounted and its overlay dirs, most of its
// directories, go beside the runtime's removal of its cgroup and state:
// the work dir (four directories deep after a volatile mount) on another
// goroutine, the upper dir after the state. On a disk mounted with
// discard each directory's removal waits for IO (~130 us here). The
// record stays until all are done, so a husk killed meanwhile leaves it
// for reapAutoRemoved.
func (e *Engine) remove(id string, force, stopped bool) error {
	workGone := make(chan error, 1)
	if stopped {
		go func() { workGone <- e.removeOverlayDir(id, "work") }()
	} else {
		workGone <- nil // it goes with the container dir below
	}
	err := e.runtime.Delete(id, force)
	if stopped && err == nil {
		err = e.removeOverlayDir(id, "upper")
	}
	if werr := <-workGone; werr != nil && err == nil {
		err = werr
	}
	if err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	if err := e.net.Detach(id); err != nil {
		return err
	}
	// The husk that ran the container may still be writing its record
	// as it notices the exit: try again while the directory refills.
	for i := 0; ; i++ {
		err := os.RemoveAll(e.containerDir(id))
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.ENOTEMPTY) || i == 50 {
			return fmt.Errorf("remove container %s: %w", ShortID(id), err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// removeOverlayDir removes the container's overlay upper or work dir.
func (e *Engine) removeOverlayDir(id, sub string) error {
	if err := os.RemoveAll(filepath.Join(e.containerDir(id), sub)); err != nil {
		return fmt.Errorf("remove container %s: %w", ShortID(id), err)
	}
	return nil
}

// reapAutoRemoved removes --rm containers that have stopped but are still
// on disk because their husk was killed before it could remove them, and
// the dirs of containers whose husk was killed before it recorded them.
func (e *Engine) reapAutoRemoved() {
	all, unrecorded, err := e.eachWithUnrecorded(e.loadRecord)
	if err != nil {
		return
	}
	for _, c := range all {
		// A husk that made the container and lives removes it itself.
		if c.AutoRemove && c.Status == "exited" && (c.Creator == nil || !c.Creator.Alive()) {
			e.remove(c.ID, false, true)
		}
	}
	e.sweepUnrecorded(unrecorded)
}

// sweepUnrecorded removes container dirs without a record, left by a
// husk killed while it made them: create makes a container's dirs and
// then its record under the engine lock, so under that lock a dir without
// a record is nobody's.
func (e *Engine) sweepUnrecorded(ids []string) {
	if len(ids) == 0 {
		return
	}
	unlock, err := e.lock()
	if err != nil {
		return
	}
	defer unlock()
	for _, id := range ids {
		_, err := os.Stat(filepath.Join(e.containerDir(id), "container.json"))
		if errors.Is(err, fs.ErrNotExist) {
			os.RemoveAll(e.containerDir(id))
		}
	}
}

// nameInUse reports whether a container already has name.
func (e *Engine) nameInUse(name string) (bool, error) {
	all, err := e.each(e.readRecord) // names only: no runtime state to read
	if err != nil {
		return false, err
	}
	for _, c := range all {
		if c.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// RemoveImage untags an image, or removes it by ID (force: even with
// several names), refusing when that would delete an image a container
// uses. It returns what the store did.
func (e *Engine) RemoveImage(ref string, force bool) (*image.RemoveResult, error) {
	img, err := e.Images.Get(ref)
	if err != nil {
		return nil, err
	}
	all, err := e.List()
	if err != nil {
		return nil, err
	}
	// Only an untag that leaves other names keeps the image; an ID takes
	// every name with it.
	name, err := image.NormalizeName(ref)
	deletes := err != nil || !slices.Contains(img.Names, name) || len(img.Names) <= 1
	for _, c := range all {
		if c.ImageID == string(img.ID) && deletes {
			return nil, fmt.Errorf("image %q is used by container %s (%s): remove it first", ref, ShortID(c.ID), c.Name)
		}
	}
	return e.Images.Remove(ref, image.RemoveOptions{Force: force})
}

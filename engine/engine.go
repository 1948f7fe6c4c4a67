package engine

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"husk/image"
	"husk/internal/fsutil"
	"husk/network"
	"husk/runtime"
)

// DefaultRoot is where husk keeps images and containers.
const DefaultRoot = "/var/lib/husk"

// Engine manages the images and containers under one root.
type Engine struct {
	root    string
	Images  *image.Store
	runtime *runtime.Runtime
	net     *network.Manager
}

// Open returns the engine for root, creating its directories, and removes
// the leftovers of --rm containers whose husk died before it could.
func Open(root string) (*Engine, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("store root %q: %w", root, err)
	}
	store, err := image.Open(root)
	if err != nil {
		return nil, err
	}
	if err := fsutil.MkdirTop(filepath.Join(root, "containers"), 0o700); err != nil {
		return nil, fmt.Errorf("create containers dir: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "mnt"), 0o700); err != nil {
		return nil, fmt.Errorf("create mnt dir: %w", err)
	}
	rt, err := runtime.New(filepath.Join(root, "run"))
	if err != nil {
		return nil, err
	}
	rt.SeccompCache = filepath.Join(root, "cache", "seccomp")

	net, err := network.Open(filepath.Join(root, "networks"))
	if err != nil {
		return nil, err
	}

	e := &Engine{root: root, Images: store, runtime: rt, net: net}
	e.reapAutoRemoved()
	// Veths, leases and rules of containers whose husk was killed go now
	// at the latest.
	if err := net.GC(); err != nil {
		slog.Warn("reclaim network leftovers", "error", err)
	}
	return e, nil
}

// mountPoint is where every container mounts its rootfs. The mount is
// made inside the container's own mount namespace, so all of them can
// share one empty directory, which nobody else sees filled, and a
// container needs one directory less on disk.
func (e *Engine) mountPoint() string {
	return filepath.Join(e.root, "mnt")
}

func (e *Engine) containerDir(id string) string {
	return filepath.Join(e.root, "containers", id)
}

// lock serialises changes to the set of containers (names must stay
// unique). The caller must call the returned function.
func (e *Engine) lock() (func(), error) {
	return fsutil.Lock(filepath.Join(e.root, "containers", ".lock"), true)
}

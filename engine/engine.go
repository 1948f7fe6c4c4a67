package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"husk/image"
	"husk/internal/fsutil"
	"husk/runtime"
)

// DefaultRoot is where husk keeps images and containers.
const DefaultRoot = "/var/lib/husk"

// Engine manages the images and containers under one root.
type Engine struct {
	root    string
	Images  *image.Store
	runtime *runtime.Runtime
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
	if err := os.MkdirAll(filepath.Join(root, "containers"), 0o700); err != nil {
		return nil, fmt.Errorf("create containers dir: %w", err)
	}
	rt, err := runtime.New(filepath.Join(root, "run"))
	if err != nil {
		return nil, err
	}

	e := &Engine{root: root, Images: store, runtime: rt}
	e.reapAutoRemoved()
	return e, nil
}

func (e *Engine) containerDir(id string) string {
	return filepath.Join(e.root, "containers", id)
}

// lock serialises changes to the set of containers (names must stay
// unique). The caller must call the returned function.
func (e *Engine) lock() (func(), error) {
	return fsutil.Lock(filepath.Join(e.root, "containers", ".lock"), true)
}

// Package beside finds husk's helper programs (husk-init, husk-zstd,
// husk-bench), which are installed in the directory of the binary that
// runs them.
package beside

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Find returns the path of the executable file called name in the
// running binary's directory, or an error that names both.
func Find(name string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", name, err)
	}
	dir := filepath.Dir(exe)
	p, err := exec.LookPath(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("%s is not beside this binary (%s)", name, dir)
	}
	return p, nil
}

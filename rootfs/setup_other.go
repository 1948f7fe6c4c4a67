//go:build !linux

package rootfs

import "errors"

// Setup builds the container's filesystem view; it needs Linux mount
// namespaces, so elsewhere it only reports that.
func Setup(c Config) error {
	return errors.New("set up rootfs: only supported on Linux")
}

//go:build !linux

package capabilities

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// errUnsupported is returned by every call that needs Linux capabilities.
var errUnsupported = errors.New("capabilities: not supported on this OS")

// LastCap is Linux-only; elsewhere it returns an error.
func LastCap() (int, error) { return 0, errUnsupported }

// Unsupported is Linux-only; elsewhere it returns an error.
func Unsupported([]string) ([]string, error) { return nil, errUnsupported }

// DropBounding is Linux-only; elsewhere it returns an error.
func DropBounding([]string) error { return errUnsupported }

// Apply is Linux-only; elsewhere it returns an error.
func Apply(*specs.LinuxCapabilities) error { return errUnsupported }

// SetUser is Linux-only; elsewhere it returns an error.
func SetUser(uint32, uint32, []uint32, *specs.LinuxCapabilities) error {
	return errUnsupported
}

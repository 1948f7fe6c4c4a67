//go:build !linux

package cgroups

import (
	"errors"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The package drives Linux cgroups; these stand-ins for sys_linux.go
// only let it compile elsewhere, so editors and vet work on any laptop.

func setDevicesV2(string, []specs.LinuxDeviceCgroup) error {
	return fieldError("devices", errors.New("the eBPF device filter needs Linux"))
}

func openCgroupFD(string) (int, error) {
	return -1, errors.New("open cgroup fd: needs Linux")
}

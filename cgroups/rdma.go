package cgroups

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// rdmaLine formats one device's limits for rdma.max (same on v1 and v2,
// Linux 4.11): "mlx4_0 hca_handle=2 hca_object=2000". A limit left out
// stays as it is; "" means the device has nothing to set.
func rdmaLine(dev string, l specs.LinuxRdma) string {
	line := dev
	if l.HcaHandles != nil {
		line += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
	}
	if l.HcaObjects != nil {
		line += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
	}
	if line == dev {
		return ""
	}
	return line
}

// setRdma writes one rdma.max line per device, in name order.
func setRdma(dir string, limits map[string]specs.LinuxRdma) error {
	for _, dev := range slices.Sorted(maps.Keys(limits)) {
		line := rdmaLine(dev, limits[dev])
		if line == "" {
			continue
		}
		if err := writeFile(dir, "rdma.max", line); err != nil {
			return fieldError(fmt.Sprintf("rdma[%q]", dev), err)
		}
	}
	return nil
}

package cgroups

import (
	"fmt"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The network fields exist on v1 only: net_cls tags the container's
// packets with a class id for tc and iptables, net_prio sets their
// priority per interface. v2 has neither (v2.go refuses them); there
// nftables and tc match the cgroup path itself.

// setNetCls writes net_cls.classid.
func setNetCls(dir string, classID uint32) error {
	v := strconv.FormatUint(uint64(classID), 10)
	return fieldErr("network.classID", writeFile(dir, "net_cls.classid", v))
}

// setNetPrio writes one "interface priority" line per entry to
// net_prio.ifpriomap.
func setNetPrio(dir string, prios []specs.LinuxInterfacePriority) error {
	for i, p := range prios {
		if err := writeFile(dir, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
			return fieldError(fmt.Sprintf("network.priorities[%d]", i), err)
		}
	}
	return nil
}

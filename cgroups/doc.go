// Package cgroups puts a container's processes in a cgroup and applies
// the resource limits of the OCI spec (linux.resources) on the three
// layouts Linux hosts use: Unified (cgroup v2 only), Hybrid (v1
// controllers plus an almost empty cgroup2 hierarchy) and Legacy (v1
// only). Detect tells them apart; New resolves a cgroupsPath into a
// Manager, which creates, limits, freezes, kills, measures and removes
// the cgroup.
//
// It runs in the runtime's parent process, on the host's view of
// /sys/fs/cgroup and /proc, as root (or with the cgroup delegated). It
// drives cgroupfs directly, the "cgroupfs driver" of runc; there is no
// systemd driver, so systemd-style "slice:prefix:name" paths are refused.
// A Manager keeps no state beyond the resolved directories, so separate
// processes (huskrt create, then kill, then delete) each make one with
// New and see the same cgroup.
//
// On a hybrid host every controller is driven through its v1 hierarchy,
// as runc does; the cgroup is also made in the cgroup2 hierarchy, for
// process tracking only, because that hierarchy's controllers belong to
// the host (enabling one would change the host's cgroups). A resource
// whose controller is mounted in neither place is an error.
//
// The spec's fields map to files as runc maps them, v1 and v2 alike
// (memory.go, cpu.go, cpuset.go, pids.go, blkio.go for v1 block I/O and
// io.go for v2, hugetlb.go, rdma.go, net.go, devices.go, unified.go);
// each file's comment says what happens to every field, including the
// ones a version cannot honour. Shares become a v2 weight with runc's
// formula (SharesToWeight). Device rules are written to devices.allow and
// devices.deny on v1 and compiled into an eBPF program on v2
// (devices_bpf.go), with the same meaning on both; Apply adds no default
// devices (see DefaultDeviceRules).
//
// Every error of Apply names the config.json field at fault, and every
// failed write names the value and the file, keeping the errno for
// errors.Is. Writes are logged at debug level through log/slog.
//
// Tests run mostly against fake trees (WithMountRoot, WithProcRoot); the
// rest create cgroups named husk-test-* under the test process's own
// cgroup on the real host and remove them.
package cgroups

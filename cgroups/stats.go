package cgroups

// Stats is a snapshot of a cgroup's usage counters, as `huskrt events
// --stats` and `husk stats` print them. Counters of controllers the
// cgroup does not have stay zero. A limit of 0 means "no limit".
type Stats struct {
	CPU      CPUStats     `json:"cpu"`
	Memory   MemoryStats  `json:"memory"`
	Pids     PidsStats    `json:"pids"`
	BlockIO  BlockIOStats `json:"blkio"`
	OOMKills uint64       `json:"oom_kills"` // processes killed by the OOM killer
}

// CPUStats is CPU time used, in nanoseconds, and CFS throttling.
type CPUStats struct {
	UsageNS          uint64 `json:"usage_ns"`          // total CPU time
	UserNS           uint64 `json:"user_ns"`           // of which in user mode
	SystemNS         uint64 `json:"system_ns"`         // of which in the kernel
	Periods          uint64 `json:"periods"`           // CFS periods with runnable tasks
	ThrottledPeriods uint64 `json:"throttled_periods"` // of which hit the quota
	ThrottledNS      uint64 `json:"throttled_ns"`      // time spent throttled
}

// MemoryStats is memory use in bytes.
type MemoryStats struct {
	Usage    uint64 `json:"usage"`     // current use, page cache included
	MaxUsage uint64 `json:"max_usage"` // peak use (v2: Linux 5.19, else 0)
	Limit    uint64 `json:"limit"`     // 0: no limit
	Cache    uint64 `json:"cache"`     // page cache (v1 total_cache, v2 file)
}

// PidsStats is the number of tasks (threads count) and their limit.
type PidsStats struct {
	Current uint64 `json:"current"`
	Limit   uint64 `json:"limit"` // 0: no limit
}

// BlockIOStats is bytes read from and written to block devices, summed
// over the devices.
type BlockIOStats struct {
	ReadBytes  uint64 `json:"read_bytes"`
	WriteBytes uint64 `json:"write_bytes"`
}

package cgroups

import (
	"errors"
	"io/fs"
	"math"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// pidsWanted reports whether p sets a limit.
func pidsWanted(p *specs.LinuxPids) bool {
	return p != nil && p.Limit != nil
}

// setPids writes pids.max, the same file on v1 and v2 (Linux 4.3). A
// limit of 0 or below is "max", no limit, as runc treats it. The limit
// counts tasks, so every thread of a process uses one.
func setPids(dir string, p *specs.LinuxPids) error {
	v := "max"
	if *p.Limit > 0 {
		v = strconv.FormatInt(*p.Limit, 10)
	}
	return fieldErr("pids.limit", writeFile(dir, "pids.max", v))
}

// pidsStats reads pids.current and pids.max; "max" is reported as a
// Limit of 0. Without the pids controller (v2) the part stays zero.
func pidsStats(dir string, st *Stats) error {
	cur, err := readUint(dir, "pids.current")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	limit, err := readUint(dir, "pids.max")
	if err != nil {
		return err
	}
	if limit == math.MaxUint64 {
		limit = 0
	}
	st.Pids = PidsStats{Current: cur, Limit: limit}
	return nil
}

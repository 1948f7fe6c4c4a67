package cgroups

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a size as users type it: "512m", "1.5g", "1024", and
// "-1" for no limit. Units are binary (1k = 1024) and may end in "b" or
// "ib", as in Docker.
func ParseSize(s string) (int64, error) {
	if strings.TrimSpace(s) == "-1" {
		return -1, nil
	}
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		if shift := strings.IndexByte("kmgt", t[n-1]); shift >= 0 {
			mult = 1 << (10 * (shift + 1))
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional k, m, g or t", s)
	}
	return int64(v * float64(mult)), nil
}

// CPUQuota turns a number of CPUs ("1.5") into a CFS quota and period in
// microseconds, with the 100ms period Docker uses.
func CPUQuota(cpus string) (quota int64, period uint64, err error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(cpus), 64)
	if err != nil || v <= 0 {
		return 0, 0, fmt.Errorf("cpus %q: want a positive number such as 0.5 or 2", cpus)
	}
	const p = 100000
	return int64(v * p), p, nil
}

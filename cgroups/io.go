package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Block I/O on v2 (the io controller). The spec's weights use blkio's
// 10..1000 scale. With BFQ they go to io.bfq.weight as they are; else to
// io.weight, whose scale is 1..10000, through BlkioToIOWeight. leafWeight
// has no v2 counterpart and is an error. Throttles go to io.max, one
// "MAJ:MIN key=value" line each; a rate of 0, which removes a limit on
// v1, is written as "max" to mean the same.

// BlkioToIOWeight converts a blkio weight (10..1000) to an io.weight
// (1..10000) with runc's linear formula, 1 + (weight-10)*9999/990; 0
// stays 0 ("not set").
func BlkioToIOWeight(weight uint16) uint64 {
	if weight == 0 {
		return 0
	}
	w := min(max(uint64(weight), 10), 1000)
	return 1 + (w-10)*9999/990
}

func setIO(dir string, b *specs.LinuxBlockIO) error {
	if b.LeafWeight != nil {
		return fieldError("blockIO.leafWeight", errors.New("cgroup v2 has no leaf weights"))
	}
	bfq := exists(dir, "io.bfq.weight")
	weight := func(w uint16, dev string) (string, string) {
		if bfq {
			return "io.bfq.weight", dev + strconv.FormatUint(uint64(w), 10)
		}
		if dev == "" {
			dev = "default "
		}
		return "io.weight", dev + strconv.FormatUint(BlkioToIOWeight(w), 10)
	}
	if b.Weight != nil && *b.Weight != 0 {
		f, v := weight(*b.Weight, "")
		if err := writeFile(dir, f, v); err != nil {
			return fieldError("blockIO.weight", missingHint(err, noWeightFile))
		}
	}
	for i, wd := range b.WeightDevice {
		if wd.LeafWeight != nil {
			return fieldError(fmt.Sprintf("blockIO.weightDevice[%d].leafWeight", i),
				errors.New("cgroup v2 has no leaf weights"))
		}
		if wd.Weight == nil {
			continue
		}
		f, v := weight(*wd.Weight, fmt.Sprintf("%d:%d ", wd.Major, wd.Minor))
		if err := writeFile(dir, f, v); err != nil {
			return fieldError(fmt.Sprintf("blockIO.weightDevice[%d].weight", i), missingHint(err, noWeightFile))
		}
	}
	for _, t := range throttles(b) {
		for i, d := range t.devs {
			rate := "max"
			if d.Rate != 0 {
				rate = strconv.FormatUint(d.Rate, 10)
			}
			v := fmt.Sprintf("%d:%d %s=%s", d.Major, d.Minor, t.v2Key, rate)
			if err := writeFile(dir, "io.max", v); err != nil {
				return fieldError(fmt.Sprintf("%s[%d]", t.field, i), err)
			}
		}
	}
	return nil
}

// parseIOStat sums rbytes and wbytes of io.stat over all devices:
// "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".
func parseIOStat(s string) (read, write uint64, err error) {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for _, kv := range f[min(1, len(f)):] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || (k != "rbytes" && k != "wbytes") {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("parse io.stat line %q: %w", sc.Text(), err)
			}
			if k == "rbytes" {
				read += n
			} else {
				write += n
			}
		}
	}
	return read, write, sc.Err()
}

// ioStats reads io.stat; without the io controller the part stays zero.
func ioStats(dir string, st *Stats) error {
	s, err := readFile(dir, "io.stat")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st.BlockIO.ReadBytes, st.BlockIO.WriteBytes, err = parseIOStat(s)
	return err
}

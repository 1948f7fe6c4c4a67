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

// Block I/O on v1 (the blkio controller). Weights need an I/O scheduler
// with cgroup support: blkio.weight came with CFQ (removed in Linux 5.0),
// blkio.bfq.weight comes with BFQ; with neither (mq-deadline, none) a
// weight is an error naming the missing file. leafWeight existed with
// CFQ only. Throttling (blk-throttle) works with every scheduler.

// blkioWanted reports whether b asks for anything.
func blkioWanted(b *specs.LinuxBlockIO) bool {
	return b != nil && (b.Weight != nil || b.LeafWeight != nil || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0)
}

// throttles pairs each throttle list with its field and v1 file and v2
// io.max key.
func throttles(b *specs.LinuxBlockIO) []struct {
	field, v1File, v2Key string
	devs                 []specs.LinuxThrottleDevice
} {
	return []struct {
		field, v1File, v2Key string
		devs                 []specs.LinuxThrottleDevice
	}{
		{"blockIO.throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps", b.ThrottleReadBpsDevice},
		{"blockIO.throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps", b.ThrottleWriteBpsDevice},
		{"blockIO.throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops", b.ThrottleReadIOPSDevice},
		{"blockIO.throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops", b.ThrottleWriteIOPSDevice},
	}
}

const noWeightFile = "no weight file: the host's I/O scheduler has no cgroup weights (CFQ or BFQ)"

func setBlkioV1(dir string, b *specs.LinuxBlockIO) error {
	weight, weightDev := "blkio.weight", "blkio.weight_device"
	if exists(dir, "blkio.bfq.weight") {
		weight, weightDev = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if b.Weight != nil {
		err := writeFile(dir, weight, strconv.FormatUint(uint64(*b.Weight), 10))
		if err != nil {
			return fieldError("blockIO.weight", missingHint(err, noWeightFile))
		}
	}
	if b.LeafWeight != nil {
		err := writeFile(dir, "blkio.leaf_weight", strconv.FormatUint(uint64(*b.LeafWeight), 10))
		if err != nil {
			return fieldError("blockIO.leafWeight", missingHint(err, "leaf weights need the CFQ scheduler"))
		}
	}
	for i, wd := range b.WeightDevice {
		dev := fmt.Sprintf("%d:%d ", wd.Major, wd.Minor)
		if wd.Weight != nil {
			err := writeFile(dir, weightDev, dev+strconv.FormatUint(uint64(*wd.Weight), 10))
			if err != nil {
				return fieldError(fmt.Sprintf("blockIO.weightDevice[%d].weight", i), missingHint(err, noWeightFile))
			}
		}
		if wd.LeafWeight != nil {
			err := writeFile(dir, "blkio.leaf_weight_device", dev+strconv.FormatUint(uint64(*wd.LeafWeight), 10))
			if err != nil {
				return fieldError(fmt.Sprintf("blockIO.weightDevice[%d].leafWeight", i),
					missingHint(err, "leaf weights need the CFQ scheduler"))
			}
		}
	}
	for _, t := range throttles(b) {
		for i, d := range t.devs {
			// A rate of 0 removes the device's limit.
			v := fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)
			if err := writeFile(dir, t.v1File, v); err != nil {
				return fieldError(fmt.Sprintf("%s[%d]", t.field, i), err)
			}
		}
	}
	return nil
}

// parseBlkioBytes sums the Read and Write lines of a v1 blkio
// io_service_bytes file ("8:0 Read 4096"), over all devices; the "Total"
// line and the other operations are left out.
func parseBlkioBytes(s string) (read, write uint64, err error) {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue // "Total N", or an empty file's "Total 0"
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse blkio line %q: %w", sc.Text(), err)
		}
		switch f[1] {
		case "Read":
			read += n
		case "Write":
			write += n
		}
	}
	return read, write, sc.Err()
}

// blkioStats reads the bytes read and written by the cgroup and its
// descendants. blk-throttle accounts every I/O whatever the scheduler;
// the recursive file is preferred (Linux 4.19 on throttle).
func blkioStats(dir string, st *Stats) error {
	for _, f := range []string{
		"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes",
		"blkio.io_service_bytes_recursive",
	} {
		s, err := readFile(dir, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		st.BlockIO.ReadBytes, st.BlockIO.WriteBytes, err = parseBlkioBytes(s)
		return err
	}
	return nil
}

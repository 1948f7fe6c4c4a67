package capabilities

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const lastCapPath = "/proc/sys/kernel/cap_last_cap"

// LastCap returns the highest capability number the running kernel knows,
// from /proc/sys/kernel/cap_last_cap. Where /proc is not mounted it probes
// the bounding set instead: PR_CAPBSET_READ fails with EINVAL past the last
// capability.
func LastCap() (int, error) {
	b, err := os.ReadFile(lastCapPath)
	if err == nil {
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", lastCapPath, err)
		}
		return n, nil
	}
	return probeLastCap(), nil
}

// probeLastCap finds the last capability by reading the bounding set until
// PR_CAPBSET_READ fails with EINVAL.
func probeLastCap() int {
	for n := 0; n < 64; n++ {
		_, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			return n - 1
		}
	}
	return 63
}

// Unsupported returns the names in the list that the running kernel does
// not know, which DropBounding and Apply skip, so the caller can log them.
// Unknown names are an error, as in Parse.
func Unsupported(list []string) ([]string, error) {
	nums, err := Parse(list)
	if err != nil {
		return nil, err
	}
	last, err := LastCap()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nums {
		if n > last {
			out = append(out, Name(n))
		}
	}
	return out, nil
}

// supported returns nums without the numbers above last.
func supported(nums []int, last int) []int {
	out := nums[:0:0]
	for _, n := range nums {
		if n <= last {
			out = append(out, n)
		}
	}
	return out
}

// DropBounding removes every capability not in keep from the bounding set
// of the calling thread. It needs CAP_SETPCAP in the effective set, so it
// runs before SetUser. Capabilities already absent are left alone (dropping
// them again would still need CAP_SETPCAP), and names in keep that the
// kernel does not know are ignored. An unknown name is an error.
func DropBounding(keep []string) error {
	nums, err := Parse(keep)
	if err != nil {
		return fmt.Errorf("parse bounding capabilities: %w", err)
	}
	last, err := LastCap()
	if err != nil {
		return err
	}
	kept := mask(nums)
	for n := 0; n <= last; n++ {
		if kept&(1<<n) != 0 {
			continue
		}
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
		if err != nil {
			return fmt.Errorf("read %s in bounding set: %w",
				Name(n), os.NewSyscallError("prctl PR_CAPBSET_READ", err))
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
			return fmt.Errorf("drop %s from bounding set: %w",
				Name(n), os.NewSyscallError("prctl PR_CAPBSET_DROP", err))
		}
	}
	return nil
}

// Apply sets the effective, permitted and inheritable sets of the calling
// thread to exactly those in c and makes the ambient set exactly c.Ambient.
// c.Bounding is not touched; DropBounding handles it. A nil c changes
// nothing, as in runc. Names the kernel does not know are skipped; unknown
// names are an error naming the set and the capability.
//
// The kernel only lets a thread keep or shrink its permitted set, and only
// raises an ambient capability that is both permitted and inheritable; an
// EPERM from capset(2) names the requested capabilities the thread lacks.
func Apply(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	m, err := MasksOf(c)
	if err != nil {
		return err
	}
	if err := capset(m.Effective, m.Permitted, m.Inheritable); err != nil {
		return capsetError(err, m.Effective|m.Permitted)
	}
	return setAmbient(m.Ambient)
}

// capset sets the three sets of the calling thread (pid 0 in the header)
// with the version 3 ABI: two 32-bit words per set, low word first.
func capset(eff, prm, inh uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		shift := 32 * i
		data[i].Effective = uint32(eff >> shift)
		data[i].Permitted = uint32(prm >> shift)
		data[i].Inheritable = uint32(inh >> shift)
	}
	return unix.Capset(&hdr, &data[0])
}

// permitted returns the permitted set of the calling thread.
func permitted() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, os.NewSyscallError("capget", err)
	}
	return uint64(data[1].Permitted)<<32 | uint64(data[0].Permitted), nil
}

// capsetError turns an EPERM from capset(2) into a message naming the
// wanted capabilities missing from the thread's permitted set, the usual
// cause (for example CAP_SYS_RESOURCE on a host whose bounding set lacks it).
func capsetError(err error, wanted uint64) error {
	serr := os.NewSyscallError("capset", err)
	if !errors.Is(err, unix.EPERM) {
		return serr
	}
	have, perr := permitted()
	if perr != nil || wanted&^have == 0 {
		return serr
	}
	return fmt.Errorf("%s not in the permitted set of this thread: %w",
		strings.Join(names(wanted&^have), ", "), serr)
}

// setAmbient clears the ambient set and raises each of nums. Kernels before
// 4.3 have no ambient set; that is only an error when nums is not empty.
// A capability the kernel refuses to raise (EPERM: it is not both
// permitted and inheritable) is left out, as runc does: `runc spec` lists
// ambient capabilities that are not inheritable, and callers rely on it.
func setAmbient(nums []int) error {
	err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
	if err != nil {
		if errors.Is(err, unix.EINVAL) && len(nums) == 0 {
			return nil
		}
		return fmt.Errorf("clear ambient set: %w",
			os.NewSyscallError("prctl PR_CAP_AMBIENT_CLEAR_ALL", err))
	}
	for _, n := range nums {
		err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0)
		if errors.Is(err, unix.EPERM) {
			continue
		}
		if err != nil {
			return fmt.Errorf("raise ambient %s (it must be permitted and inheritable): %w",
				Name(n), os.NewSyscallError("prctl PR_CAP_AMBIENT_RAISE", err))
		}
	}
	return nil
}

// Masks is what Apply and DropBounding would set for c, as bit masks (bit
// N is capability N) and the ambient list, limited to the capabilities
// this kernel has; for a container's init that sets them itself.
type Masks struct {
	Bounding, Effective, Permitted, Inheritable uint64
	Ambient                                     []int
}

// MasksOf parses c into Masks.
func MasksOf(c *specs.LinuxCapabilities) (Masks, error) {
	last, err := LastCap()
	if err != nil {
		return Masks{}, err
	}
	var m Masks
	for _, s := range []struct {
		name  string
		names []string
		mask  *uint64
	}{
		{"bounding", c.Bounding, &m.Bounding},
		{"effective", c.Effective, &m.Effective},
		{"permitted", c.Permitted, &m.Permitted},
		{"inheritable", c.Inheritable, &m.Inheritable},
		{"ambient", c.Ambient, nil},
	} {
		nums, err := Parse(s.names)
		if err != nil {
			return Masks{}, fmt.Errorf("parse %s capabilities: %w", s.name, err)
		}
		nums = supported(nums, last)
		if s.mask == nil {
			m.Ambient = nums
			continue
		}
		*s.mask = mask(nums)
	}
	return m, nil
}

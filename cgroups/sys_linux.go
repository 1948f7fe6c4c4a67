package cgroups

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The Linux-only system calls of the package: opening a cgroup with
// O_PATH, and the bpf(2) calls the v2 device filter needs, with the parts of union
// bpf_attr they use (include/uapi/linux/bpf.h). Kernels accept a shorter
// attr than their own and treat the rest as zero.

// bpfPtr is an __aligned_u64 that carries a pointer. Holding it as an
// unsafe.Pointer, not a number, keeps the garbage collector (and stack
// copying) aware of what it points to. It is 8 bytes only on 64-bit
// machines; setDevicesV2 refuses to run elsewhere rather than pass the
// kernel a misshapen attr. (Padding it would need per-architecture files,
// as cilium/ebpf has; no 32-bit host is in sight.)
type bpfPtr struct{ p unsafe.Pointer }

// openCgroupFD opens a cgroup2 directory for clone3's CLONE_INTO_CGROUP,
// which takes an O_PATH descriptor (Linux 5.7).
func openCgroupFD(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open cgroup %q: %w", dir, err)
	}
	return fd, nil
}

const is64bit = unsafe.Sizeof(uintptr(0)) == 8

type progLoadAttr struct {
	progType, insnCnt    uint32
	insns, license       bpfPtr
	logLevel, logSize    uint32
	logBuf               bpfPtr
	kernVersion, flags   uint32
	name                 [16]byte
	ifindex, expAttachTy uint32
}

type progAttachAttr struct {
	targetFD, attachBPFFD, attachType, attachFlags, replaceBPFFD uint32
}

type progQueryAttr struct {
	targetFD, attachType, queryFlags, attachFlags uint32
	progIDs                                       bpfPtr
	progCnt                                       uint32
	_                                             uint32
}

type getFDByIDAttr struct{ id, nextID, openFlags uint32 }

func bpfCall[T any](cmd int, attr *T) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// loadDeviceProgram loads insns as a cgroup device program and returns
// its fd. When the verifier refuses it, the load is repeated with a log
// so the error can say why.
func loadDeviceProgram(insns []bpfInsn) (int, error) {
	license := []byte("Apache-2.0\x00")
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(insns)),
		insns:    bpfPtr{p: unsafe.Pointer(&insns[0])},
		license:  bpfPtr{p: unsafe.Pointer(&license[0])},
	}
	copy(attr.name[:], "husk_devices")
	fd, err := bpfCall(unix.BPF_PROG_LOAD, &attr)
	if err == nil {
		return fd, nil
	}
	if errors.Is(err, unix.EPERM) {
		return -1, fmt.Errorf("load device filter: %w (needs CAP_BPF or CAP_SYS_ADMIN)", err)
	}
	log := make([]byte, 64*1024)
	attr.logLevel, attr.logSize, attr.logBuf = 1, uint32(len(log)), bpfPtr{p: unsafe.Pointer(&log[0])}
	if fd, err2 := bpfCall(unix.BPF_PROG_LOAD, &attr); err2 == nil {
		return fd, nil // the second try worked after all
	}
	msg := strings.TrimSpace(strings.TrimRight(string(log), "\x00"))
	return -1, fmt.Errorf("load device filter: %w: verifier: %s", err, msg)
}

// attachedDevicePrograms lists the ids of the device programs attached
// directly to the cgroup dirFD.
func attachedDevicePrograms(dirFD int) ([]uint32, error) {
	ids := make([]uint32, 64)
	for {
		attr := progQueryAttr{
			targetFD: uint32(dirFD), attachType: unix.BPF_CGROUP_DEVICE,
			progIDs: bpfPtr{p: unsafe.Pointer(&ids[0])}, progCnt: uint32(len(ids)),
		}
		_, err := bpfCall(unix.BPF_PROG_QUERY, &attr)
		if errors.Is(err, unix.ENOSPC) && int(attr.progCnt) > len(ids) {
			ids = make([]uint32, attr.progCnt)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("query device filters: %w", err)
		}
		return ids[:attr.progCnt], nil
	}
}

func attachDeviceProgram(dirFD, progFD int) error {
	attr := progAttachAttr{
		targetFD: uint32(dirFD), attachBPFFD: uint32(progFD),
		attachType: unix.BPF_CGROUP_DEVICE, attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if _, err := bpfCall(unix.BPF_PROG_ATTACH, &attr); err != nil {
		return fmt.Errorf("attach device filter: %w", err)
	}
	return nil
}

// detachDeviceProgram detaches program id from dirFD; a program that is
// already gone is fine.
func detachDeviceProgram(dirFD int, id uint32) error {
	fd, err := bpfCall(unix.BPF_PROG_GET_FD_BY_ID, &getFDByIDAttr{id: id})
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("detach device filter %d: %w", id, err)
	}
	defer unix.Close(fd)
	attr := progAttachAttr{targetFD: uint32(dirFD), attachBPFFD: uint32(fd), attachType: unix.BPF_CGROUP_DEVICE}
	if _, err := bpfCall(unix.BPF_PROG_DETACH, &attr); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("detach device filter %d: %w", id, err)
	}
	return nil
}

// setDevicesV2 replaces the cgroup's device filter with one built from
// rules. The new program is attached before the old ones are detached;
// with BPF_F_ALLOW_MULTI every attached program must allow an access, so
// in between the container gets the stricter of the two, never neither.
// The attached program lives as long as the cgroup (or until replaced);
// its fd is closed here.
func setDevicesV2(dir string, rules []specs.LinuxDeviceCgroup) error {
	st, err := emulate(rules)
	if err != nil {
		return err
	}
	if !is64bit {
		return fieldError("devices", errors.New("the eBPF device filter is only implemented for 64-bit hosts"))
	}
	dirFD, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fieldError("devices", fmt.Errorf("open %q: %w", dir, err))
	}
	defer unix.Close(dirFD)
	old, err := attachedDevicePrograms(dirFD)
	if err != nil {
		return fieldError("devices", fmt.Errorf("%q: %w", dir, err))
	}
	prog, err := loadDeviceProgram(deviceProgram(st))
	if err != nil {
		return fieldError("devices", err)
	}
	defer unix.Close(prog)
	if err := attachDeviceProgram(dirFD, prog); err != nil {
		return fieldError("devices", fmt.Errorf("%q: %w", dir, err))
	}
	for _, id := range old {
		if err := detachDeviceProgram(dirFD, id); err != nil {
			return fieldError("devices", fmt.Errorf("%q: %w", dir, err))
		}
	}
	return nil
}

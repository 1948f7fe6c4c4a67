// Package vm boots throwaway Linux guests under qemu for husk's tests and
// benchmarks: a pure cgroup v2 host for the end-to-end suite
// (cmd/husk-vmtest, `make vmtest`), and a virtual machine to compare
// container start-up with.
//
// A guest is a kernel and an initramfs, run in RAM by qemu's microvm
// machine with a serial console and nothing else: no network device, no
// disk, so nothing it does reaches the host. The pieces:
//
//   - DebianKernel downloads Debian's cloud kernel package once (apt-get
//     download, dpkg-deb -x) into a cache directory and returns its image
//     and modules directory.
//   - ReadModules and Modules.Resolve find the modules to load and their
//     dependencies, from modules.dep or, since Debian's packages ship
//     none, from each module's .modinfo; Initramfs.Modules copies them
//     in and writes a modules.dep for the guest's modprobe.
//   - CPIOWriter writes the newc cpio format the kernel unpacks;
//     Initramfs adds parent directories, host files and trees on top,
//     and WriteInitramfs writes one atomically.
//   - Init generates /init, a busybox sh script: switch to a tmpfs root
//     (pivot_root(2) fails on the initial ramfs), mount proc, sys, dev,
//     optionally cgroup2 with every controller enabled, load modules,
//     run one command, report its exit status, power off.
//   - Machine.Run boots a guest with a deadline, hands each console line
//     to a callback and returns the status the guest reported
//     (ResultLine, ParseResult: a line with a per-boot nonce that output
//     of the command under test cannot forge). ProbeKVM tells whether
//     KVM works here: on nested set-ups a KVM guest can hang, so
//     /dev/kvm being there proves nothing.
//
// The guest runs busybox and static binaries only: it has no C library,
// so cgo binaries must be linked with -extldflags -static (CheckStatic
// tells). Callers need qemu-system-x86_64, a static busybox (Debian's
// busybox-static), and, for DebianKernel's first call, apt and dpkg-deb
// as root with Debian's package lists; everything else is pure Go.
//
// Under TCG (no KVM) a guest boots in about two seconds on a 2-core
// machine and runs code several times slower than the host, so what a
// guest does is kept small. This package is not a general VM manager:
// one guest, one command, no devices.
package vm

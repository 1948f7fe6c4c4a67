package seccomp

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultScript runs under DefaultProfile: a shell, a personality change
// the profile allows, and an unshare it denies.
const defaultScript = `echo ok
busybox linux32 true && echo linux32
busybox unshare -m true 2>/dev/null && echo unshare allowed || echo unshare denied`

// execAllow is a tight allow list for a Go program that execs a static
// busybox: what Go needs between Load and execve, and what busybox's
// start-up and exit need.
var execAllow = []string{
	"execve", "exit", "exit_group", "brk", "arch_prctl", "set_tid_address",
	"set_robust_list", "rseq", "prlimit64", "mmap", "munmap", "mprotect", "madvise",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "futex",
	"nanosleep", "sched_yield", "getpid", "gettid", "tgkill", "write", "writev",
	"getuid", "geteuid", "uname", "readlinkat", "clock_gettime",
}

func allowList(extra ...string) func() *specs.LinuxSeccomp {
	return func() *specs.LinuxSeccomp {
		eperm := uint(1)
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno, DefaultErrnoRet: &eperm,
			Syscalls: []specs.LinuxSyscall{
				{Names: append(append([]string(nil), execAllow...), extra...), Action: specs.ActAllow},
			},
		}
	}
}

// denyMkdir allows everything but mkdir and mkdirat (which Go uses), which
// fail with EACCES.
func denyMkdir(flags ...specs.LinuxSeccompFlag) func() *specs.LinuxSeccomp {
	return func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow, Flags: flags,
			Syscalls: []specs.LinuxSyscall{allowBy(13, specs.ActErrno, "mkdir", "mkdirat")},
		}
	}
}

func errnoOf(err error) int {
	if e, ok := err.(unix.Errno); ok {
		return int(e)
	}
	return 0
}

// mkdirBothThreads loads p between starting a second thread and having
// both threads mkdir, and prints their errnos.
func mkdirBothThreads(p *Program, dir string) int {
	ready, start, done := make(chan int), make(chan struct{}), make(chan int)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with it
		ready <- unix.Gettid()
		<-start
		done <- errnoOf(unix.Mkdir(filepath.Join(dir, "other"), 0o755))
	}()
	if tid := <-ready; tid == unix.Gettid() {
		fmt.Println("no second thread")
		return 1
	}
	if err := p.Load(); err != nil {
		fmt.Printf("load: %v\n", err)
		return 4
	}
	self := errnoOf(unix.Mkdir(filepath.Join(dir, "self"), 0o755))
	close(start)
	fmt.Printf("self=%d other=%d\n", self, <-done)
	return 0
}

func execBusybox(args ...string) int {
	err := unix.Exec(busybox, append([]string{"busybox"}, args...), nil)
	fmt.Printf("exec busybox: %v\n", err)
	return 5
}

var childCases = map[string]childCase{
	"errno": {profile: denyMkdir(), run: func(dir string) int {
		e := errnoOf(unix.Mkdir(filepath.Join(dir, "x"), 0o755))
		pid := "ok"
		if unix.Getpid() <= 0 {
			pid = "denied"
		}
		fmt.Printf("mkdir=%d getpid=%s\n", e, pid)
		return 0
	}},
	"args": {profile: func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: 0xffffffff, Op: specs.OpEqualTo},
				}},
				allowBy(1, specs.ActErrno, "personality"),
			},
		}
	}, run: func(string) int {
		pers := func(v uintptr) unix.Errno {
			_, _, e := unix.Syscall(unix.SYS_PERSONALITY, v, 0, 0)
			return e
		}
		// The high half counts: 0x1_ffffffff is not 0xffffffff.
		fmt.Printf("query=%d linux32=%d high=%d\n", pers(0xffffffff), pers(8), pers(0x1ffffffff))
		return 0
	}},
	"kill": {profile: func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{allowBy(0, specs.ActKillProcess, "getppid")},
		}
	}, run: func(string) int {
		fmt.Println("loaded")
		unix.Getppid()
		fmt.Println("survived")
		return 0
	}},
	"log": {profile: func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
			Syscalls: []specs.LinuxSyscall{allowBy(0, specs.ActLog, "getppid")},
		}
	}, run: func(string) int {
		if unix.Getppid() == os.Getppid() && unix.Getppid() > 0 {
			fmt.Println("getppid=ok")
		}
		return 0
	}},
	"thread": {profile: denyMkdir(), manual: mkdirBothThreads},
	"tsync": {
		profile: denyMkdir("SECCOMP_FILTER_FLAG_TSYNC"),
		manual:  mkdirBothThreads,
	},
	"x32": {profile: func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX32},
			Syscalls: []specs.LinuxSyscall{allowBy(77, specs.ActErrno, "getpid")},
		}
	}, run: func(string) int {
		_, _, e1 := unix.Syscall(x32Bit|unix.SYS_GETPID, 0, 0, 0)
		_, _, e2 := unix.Syscall(x32Bit|unix.SYS_GETPPID, 0, 0, 0)
		fmt.Printf("getpid=%d getppid=%d\n", e1, e2)
		return 0
	}},
	"x32-unlisted": {profile: func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	}, run: func(string) int {
		fmt.Println("loaded")
		unix.Syscall(x32Bit|unix.SYS_GETPID, 0, 0, 0)
		fmt.Println("survived")
		return 0
	}},
	"badflags": {
		profile: func() *specs.LinuxSeccomp { return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow} },
		manual: func(p *Program, _ string) int {
			p.Flags = 1 << 6 // no such SECCOMP_FILTER_FLAG_*
			fmt.Printf("load error: %v\n", p.Load())
			return 0
		},
	},
	"allowlist-true":  {profile: allowList(), run: func(string) int { return execBusybox("true") }},
	"allowlist-mkdir": {profile: allowList(), run: func(dir string) int { return execBusybox("mkdir", filepath.Join(dir, "made")) }},
	"default-profile": {profile: DefaultProfile, run: func(string) int { return execBusybox("sh", "-c", defaultScript) }},
}

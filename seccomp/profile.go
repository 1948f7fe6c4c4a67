package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Return values of a seccomp filter (SECCOMP_RET_* in linux/seccomp.h).
// The low 16 bits (SECCOMP_RET_DATA) carry an errno or a tracer's value.
const (
	retKillProcess uint32 = 0x80000000
	retKillThread  uint32 = 0x00000000
	retTrap        uint32 = 0x00030000
	retErrno       uint32 = 0x00050000
	retTrace       uint32 = 0x7ff00000
	retLog         uint32 = 0x7ffc0000
	retAllow       uint32 = 0x7fff0000
)

// retBadArch is returned for a syscall of an architecture the filter does
// not cover. libseccomp (and so runc and crun) kills the thread there;
// husk kills the whole process, which is as safe and leaves no process
// behind with a thread missing. Falling back to the default action instead
// would let a deny-list profile (default SCMP_ACT_ALLOW) be bypassed by
// calling through another ABI, such as int 0x80 on x86_64.
const retBadArch = retKillProcess

// errnoEPERM is the errno of SCMP_ACT_ERRNO and SCMP_ACT_TRACE when the
// profile gives no errnoRet, as in runc.
const errnoEPERM = 1

// maxErrno is MAX_ERRNO: the kernel clamps a larger SECCOMP_RET_ERRNO
// value to it, so a larger errnoRet cannot mean what it says.
const maxErrno = 4095

// Filter flags for seccomp(2) (SECCOMP_FILTER_FLAG_* in linux/seccomp.h).
const (
	flagTsync            = 1 << 0
	flagLog              = 1 << 1
	flagSpecAllow        = 1 << 2
	flagNewListener      = 1 << 3
	flagWaitKillableRecv = 1 << 5
)

// knownFlags maps the flags a profile may name to their values, in the
// order Features reports them.
var knownFlags = []struct {
	name  specs.LinuxSeccompFlag
	value uint
}{
	{"SECCOMP_FILTER_FLAG_TSYNC", flagTsync},
	{specs.LinuxSeccompFlagLog, flagLog},
	{specs.LinuxSeccompFlagSpecAllow, flagSpecAllow},
	{specs.LinuxSeccompFlagWaitKillableRecv, flagWaitKillableRecv},
}

// actions lists the actions Compile accepts, in the order Features
// reports them. SCMP_ACT_NOTIFY is absent: it needs a listener.
var actions = []specs.LinuxSeccompAction{
	specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap,
	specs.ActErrno, specs.ActTrace, specs.ActAllow, specs.ActLog,
}

// operators lists the argument comparisons Compile accepts.
var operators = []specs.LinuxSeccompOperator{
	specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
	specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
}

// actionValue turns an action and its errnoRet into a filter return value.
// where names the profile field for errors.
func actionValue(act specs.LinuxSeccompAction, errnoRet *uint, where string) (uint32, error) {
	var base uint32
	switch act {
	case specs.ActKill, specs.ActKillThread:
		base = retKillThread
	case specs.ActKillProcess:
		base = retKillProcess
	case specs.ActTrap:
		base = retTrap
	case specs.ActErrno, specs.ActTrace:
		data := uint(errnoEPERM)
		if errnoRet != nil {
			data = *errnoRet
		}
		limit := uint(maxErrno)
		base = retErrno
		if act == specs.ActTrace {
			limit, base = 0xffff, retTrace
		}
		if data > limit {
			return 0, fmt.Errorf("%s: errnoRet %d of %s is above %d", where, data, act, limit)
		}
		return base | uint32(data), nil
	case specs.ActAllow:
		base = retAllow
	case specs.ActLog:
		base = retLog
	case specs.ActNotify:
		return 0, fmt.Errorf("%s: %s needs a seccomp user-notification listener "+
			"(listenerPath), which husk does not support", where, act)
	case "":
		return 0, fmt.Errorf("%s: action is empty", where)
	default:
		return 0, fmt.Errorf("%s: unknown action %q", where, act)
	}
	if errnoRet != nil {
		return 0, fmt.Errorf("%s: errnoRet is only valid with %s or %s, not %s",
			where, specs.ActErrno, specs.ActTrace, act)
	}
	return base, nil
}

// parseFlags returns the seccomp(2) flags a profile asks for.
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is accepted and dropped: it only
// changes how a listener waits, there is no listener, and the kernel
// rejects it without SECCOMP_FILTER_FLAG_NEW_LISTENER.
func parseFlags(names []specs.LinuxSeccompFlag) (uint, error) {
	var flags uint
next:
	for i, name := range names {
		if name == "SECCOMP_FILTER_FLAG_NEW_LISTENER" {
			return 0, fmt.Errorf("flags[%d]: %s is not supported: husk has no "+
				"seccomp user-notification listener", i, name)
		}
		for _, f := range knownFlags {
			if f.name == name {
				if f.value != flagWaitKillableRecv {
					flags |= f.value
				}
				continue next
			}
		}
		return 0, fmt.Errorf("flags[%d]: unknown flag %q", i, name)
	}
	return flags, nil
}

// parseArches returns the architectures a filter covers: the native one
// first (libseccomp always includes it, and so does runc's filter), then
// the profile's, without duplicates.
func parseArches(names []specs.Arch, native *arch) ([]*arch, error) {
	out := []*arch{native}
	for i, name := range names {
		a := lookupArch(name)
		if a == nil {
			return nil, fmt.Errorf("architectures[%d]: no syscall table for %q", i, name)
		}
		dup := false
		for _, have := range out {
			dup = dup || have == a
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out, nil
}

// rule is one syscalls[] entry applied to one syscall.
type rule struct {
	ret  uint32
	args []specs.LinuxSeccompArg
}

// parseRule validates syscalls[i] and converts its action and args.
func parseRule(sc *specs.LinuxSyscall, where string) (rule, error) {
	ret, err := actionValue(sc.Action, sc.ErrnoRet, where)
	if err != nil {
		return rule{}, err
	}
	for j, arg := range sc.Args {
		if arg.Index >= maxArgs {
			return rule{}, fmt.Errorf("%s: args[%d]: index %d is out of range 0-%d",
				where, j, arg.Index, maxArgs-1)
		}
		if !knownOp(arg.Op) {
			return rule{}, fmt.Errorf("%s: args[%d]: unknown op %q", where, j, arg.Op)
		}
	}
	return rule{ret: ret, args: sc.Args}, nil
}

func knownOp(op specs.LinuxSeccompOperator) bool {
	for _, o := range operators {
		if o == op {
			return true
		}
	}
	return false
}

// Features describes what Compile and Load support, for `huskrt features`.
// SupportedFlags is what both husk and the running kernel accept; finding
// out costs one seccomp(2) call per flag and loads nothing.
func Features() *features.Seccomp {
	on := enabled
	f := &features.Seccomp{
		Enabled:        &on,
		Actions:        []string{},
		Operators:      []string{},
		Archs:          []string{},
		KnownFlags:     []string{},
		SupportedFlags: supportedFlags(),
	}
	for _, a := range actions {
		f.Actions = append(f.Actions, string(a))
	}
	for _, o := range operators {
		f.Operators = append(f.Operators, string(o))
	}
	for _, a := range arches {
		f.Archs = append(f.Archs, string(a.name))
	}
	for _, k := range knownFlags {
		f.KnownFlags = append(f.KnownFlags, string(k.name))
	}
	return f
}

package seccomp

import (
	"errors"
	"fmt"
	"math"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// verdict is what the filter decides for one syscall number of one arch.
type verdict struct {
	nr       uint32
	conds    []rule // rules with args, tried in profile order
	fallback uint32 // first rule without args, else the default action
}

// compileFor compiles s for a host whose native architecture is native.
func compileFor(s *specs.LinuxSeccomp, native *arch) (*Program, error) {
	if s == nil {
		return nil, errors.New("seccomp profile is nil")
	}
	if native == nil {
		return nil, errors.New("seccomp: no syscall table for this host's architecture")
	}
	if s.ListenerPath != "" {
		return nil, fmt.Errorf("seccomp listenerPath %q: user notification is not supported",
			s.ListenerPath)
	}
	defRet, err := actionValue(s.DefaultAction, s.DefaultErrnoRet, "seccomp defaultAction")
	if err != nil {
		return nil, err
	}
	flags, err := parseFlags(s.Flags)
	if err != nil {
		return nil, fmt.Errorf("seccomp %w", err)
	}
	archs, err := parseArches(s.Architectures, native)
	if err != nil {
		return nil, fmt.Errorf("seccomp %w", err)
	}
	names, byName, err := collectRules(s.Syscalls)
	if err != nil {
		return nil, err
	}
	known := make([]bool, len(names))
	plans := make([][]verdict, len(archs))
	for i, a := range archs {
		plans[i] = planArch(a, names, byName, defRet, known)
	}
	var unknown []string
	for i, n := range names {
		if !known[i] {
			unknown = append(unknown, n)
		}
	}
	filter, err := emitFilter(archs, plans, defRet)
	if err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	return &Program{Filter: filter, Flags: flags, Unknown: unknown}, nil
}

// collectRules validates syscalls[] and returns the syscall names in order
// of first appearance with each name's rules in profile order.
func collectRules(scs []specs.LinuxSyscall) ([]string, map[string][]rule, error) {
	var names []string
	byName := map[string][]rule{}
	for i := range scs {
		sc := &scs[i]
		where := fmt.Sprintf("seccomp syscalls[%d]", i)
		if len(sc.Names) == 0 {
			return nil, nil, fmt.Errorf("%s: names is empty", where)
		}
		if len(sc.Names) == 1 {
			where += fmt.Sprintf(" (%q)", sc.Names[0])
		} else {
			where += fmt.Sprintf(" (%q and %d more)", sc.Names[0], len(sc.Names)-1)
		}
		r, err := parseRule(sc, where)
		if err != nil {
			return nil, nil, err
		}
		for j, n := range sc.Names {
			if n == "" {
				return nil, nil, fmt.Errorf("%s: names[%d] is empty", where, j)
			}
			if _, seen := byName[n]; !seen {
				names = append(names, n)
			}
			byName[n] = append(byName[n], r)
		}
	}
	return names, byName, nil
}

// planArch decides every syscall of a that the profile names, sorted by
// number, leaving out those that end in the default action anyway. It
// marks in known each name a has a number for.
//
// For one syscall, the rules with args are tried in profile order and the
// first whose conditions all hold decides; if none holds, the first rule
// without args decides, and without one the default action does.
func planArch(a *arch, names []string, byName map[string][]rule, defRet uint32,
	known []bool,
) []verdict {
	// Sort by number, then by place in the profile, so that names that
	// share a number (aliases) keep their profile order.
	keys := make([]uint64, 0, len(names))
	for i, n := range names {
		nr, ok := a.table()[n]
		if !ok {
			continue // libseccomp too skips a name the arch does not have
		}
		known[i] = true
		keys = append(keys, uint64(nr)<<32|uint64(i))
	}
	slices.Sort(keys)

	var out []verdict
	for i := 0; i < len(keys); {
		nr := uint32(keys[i] >> 32)
		rules := byName[names[uint32(keys[i])]]
		j := i + 1
		for ; j < len(keys) && uint32(keys[j]>>32) == nr; j++ {
			more := byName[names[uint32(keys[j])]]
			rules = append(rules[:len(rules):len(rules)], more...)
		}
		if v, ok := decide(nr, rules, defRet); ok {
			out = append(out, v)
		}
		i = j
	}
	return out
}

// decide makes one syscall's verdict from its rules; ok is false when
// the verdict is the default action anyway.
func decide(nr uint32, rules []rule, defRet uint32) (verdict, bool) {
	v := verdict{nr: nr, fallback: defRet}
	haveFallback := false
	for _, r := range rules {
		switch {
		case len(r.args) > 0:
			v.conds = append(v.conds, r)
		case !haveFallback:
			v.fallback, haveFallback = r.ret, true
		}
	}
	// A last condition that leads where failing it would is useless.
	for len(v.conds) > 0 && v.conds[len(v.conds)-1].ret == v.fallback {
		v.conds = v.conds[:len(v.conds)-1]
	}
	return v, len(v.conds) > 0 || v.fallback != defRet
}

// emitFilter lays out the whole program:
//
//	load arch; one jeq per covered AUDIT_ARCH_*; else kill (retBadArch)
//	per arch: load nr; jeq chunks per verdict; jeq + argument chains; default
//
// x86_64 and x32 share AUDIT_ARCH_X86_64 and are told apart by x32Bit in
// the syscall number, the way libseccomp does; a number of the half that
// the filter does not cover is a bad arch.
func emitFilter(archs []*arch, plans [][]verdict, defRet uint32) ([]sockFilter, error) {
	a := &assembler{}
	type group struct {
		audit  uint32
		lo, hi int // indexes into archs; -1 when absent. hi: x32 numbers
		entry  label
	}
	var groups []*group
	find := func(audit uint32) *group {
		for _, g := range groups {
			if g.audit == audit {
				return g
			}
		}
		g := &group{audit: audit, lo: -1, hi: -1, entry: a.newLabel()}
		groups = append(groups, g)
		return g
	}
	for i, ar := range archs {
		g := find(ar.audit)
		if ar.name == specs.ArchX32 {
			g.hi = i
		} else {
			g.lo = i
		}
	}
	a.ld(offArch)
	for _, g := range groups {
		a.jmp(bpfJeqK, g.audit, g.entry, fall)
	}
	a.ret(retBadArch)
	for _, g := range groups {
		a.bind(g.entry)
		if g.audit != auditArchX86_64 {
			emitBlock(a, archs[g.lo], plans[g.lo], defRet)
			continue
		}
		bad, lo, hi := a.newLabel(), a.newLabel(), a.newLabel()
		jt, jf := bad, bad
		if g.hi >= 0 {
			jt = hi
		}
		if g.lo >= 0 {
			jf = lo
		}
		a.ld(offNr)
		a.jmp(bpfJgeK, x32Bit, jt, jf)
		if g.lo >= 0 {
			a.bind(lo)
			emitBlock(a, archs[g.lo], plans[g.lo], defRet)
		}
		if g.hi >= 0 {
			a.bind(hi)
			emitBlock(a, archs[g.hi], plans[g.hi], defRet)
		}
		if g.lo < 0 || g.hi < 0 {
			a.bind(bad)
			a.ret(retBadArch)
		}
	}
	return a.assemble()
}

// emitBlock emits the part of the filter for one arch; it ends in returns.
//
// The syscall numbers are searched as a binary tree over runs of numbers
// that share a verdict, not one comparison each: a syscall then costs
// about ten instructions instead of hundreds. That matters at load time
// as much as at run time, because the kernel builds its per-syscall
// action cache by running the filter once for every syscall number of
// every arch it covers (about 1 ms for Docker's profile when it was a
// linear list).
func emitBlock(a *assembler, ar *arch, plan []verdict, defRet uint32) {
	a.ld(offNr)
	emitSearch(a, ar, segments(plan), 0, math.MaxUint32, defRet)
}

// segment is a run of syscall numbers lo..hi with one verdict: an
// unconditional return, or, for a single number, argument rules (v).
type segment struct {
	lo, hi uint32
	ret    uint32
	v      *verdict
}

// segments merges the neighbours of a plan (which planArch sorts by
// number) that return the same without looking at arguments.
func segments(plan []verdict) []segment {
	var segs []segment
	for i := range plan {
		v := &plan[i]
		if len(v.conds) > 0 {
			segs = append(segs, segment{lo: v.nr, hi: v.nr, v: v})
			continue
		}
		if n := len(segs); n > 0 && segs[n-1].v == nil && segs[n-1].ret == v.fallback &&
			segs[n-1].hi+1 == v.nr {
			segs[n-1].hi = v.nr
			continue
		}
		segs = append(segs, segment{lo: v.nr, hi: v.nr, ret: v.fallback})
	}
	return segs
}

// emitSearch emits the search of segs for the number in the accumulator,
// which is known to lie in lo..hi; numbers in no segment get defRet.
func emitSearch(a *assembler, ar *arch, segs []segment, lo, hi uint32, defRet uint32) {
	switch len(segs) {
	case 0:
		a.ret(defRet)
		return
	case 1:
		emitLeaf(a, ar, segs[0], lo, hi, defRet)
		return
	}
	mid := len(segs) / 2
	right := a.newLabel()
	a.jmp(bpfJgeK, segs[mid].lo, right, fall)
	emitSearch(a, ar, segs[:mid], lo, segs[mid].lo-1, defRet)
	a.bind(right)
	emitSearch(a, ar, segs[mid:], segs[mid].lo, hi, defRet)
}

// emitLeaf emits one segment's bounds checks and verdict. Argument rules
// clobber the accumulator, which is fine: a leaf ends in returns.
func emitLeaf(a *assembler, ar *arch, s segment, lo, hi uint32, defRet uint32) {
	def := a.newLabel()
	checked := false
	if s.lo > lo {
		a.jmp(bpfJgeK, s.lo, fall, def)
		checked = true
	}
	if s.hi < hi {
		a.jmp(bpfJgtK, s.hi, def, fall)
		checked = true
	}
	if s.v == nil {
		a.ret(s.ret)
	} else {
		for _, r := range s.v.conds {
			fail := a.newLabel()
			for _, arg := range r.args {
				pass := a.newLabel()
				emitArg(a, arg, ar.wide, pass, fail)
				a.bind(pass)
			}
			a.ret(r.ret)
			a.bind(fail)
		}
		a.ret(s.v.fallback)
	}
	if checked {
		a.bind(def)
		a.ret(defRet)
	}
}

// emitArg emits a test of one argument condition that jumps to pass or
// fail. It clobbers the accumulator.
//
// Arguments are unsigned 64-bit values, but classic BPF compares 32 bits
// at a time, so a wide comparison looks at the high halves first and at the
// low halves only when the high halves are equal. On a 32-bit ABI (wide
// false) the argument is the low half alone and only the low 32 bits of
// the profile's values count, as in libseccomp.
//
// SCMP_CMP_MASKED_EQ holds when (arg & value) == valueTwo.
func emitArg(a *assembler, arg specs.LinuxSeccompArg, wide bool, pass, fail label) {
	v, v2 := arg.Value, arg.ValueTwo
	vh, vl := uint32(v>>32), uint32(v)
	lo, hi := argLow(arg.Index), argHigh(arg.Index)
	if wide {
		switch arg.Op {
		case specs.OpEqualTo:
			a.ld(hi)
			a.jmp(bpfJeqK, vh, fall, fail)
		case specs.OpNotEqual:
			a.ld(hi)
			a.jmp(bpfJeqK, vh, fall, pass)
		case specs.OpGreaterThan, specs.OpGreaterEqual:
			a.ld(hi)
			a.jmp(bpfJgtK, vh, pass, fall)
			a.jmp(bpfJeqK, vh, fall, fail)
		case specs.OpLessThan, specs.OpLessEqual:
			a.ld(hi)
			a.jmp(bpfJgtK, vh, fail, fall)
			a.jmp(bpfJeqK, vh, fall, pass)
		case specs.OpMaskedEqual:
			mh, dh := uint32(v>>32), uint32(v2>>32)
			if mh != 0 || dh != 0 { // else the high halves always match
				a.ld(hi)
				a.and(mh)
				a.jmp(bpfJeqK, dh, fall, fail)
			}
		}
	}
	// The low halves decide now.
	a.ld(lo)
	switch arg.Op {
	case specs.OpEqualTo:
		a.jmp(bpfJeqK, vl, pass, fail)
	case specs.OpNotEqual:
		a.jmp(bpfJeqK, vl, fail, pass)
	case specs.OpGreaterThan:
		a.jmp(bpfJgtK, vl, pass, fail)
	case specs.OpGreaterEqual:
		a.jmp(bpfJgeK, vl, pass, fail)
	case specs.OpLessThan:
		a.jmp(bpfJgeK, vl, fail, pass)
	case specs.OpLessEqual:
		a.jmp(bpfJgtK, vl, fail, pass)
	case specs.OpMaskedEqual:
		a.and(vl)
		a.jmp(bpfJeqK, uint32(v2), pass, fail)
	}
}

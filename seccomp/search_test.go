package seccomp

import (
	"testing"
)

// TestSearchEveryNumber runs the compiled default profile for every
// syscall number of every x86 arch (and past the end of each table) and
// checks the binary search reaches exactly the plan's verdict: the
// number's own return, or the default for a number no rule names.
func TestSearchEveryNumber(t *testing.T) {
	prof := DefaultProfile()
	p := compileOn(t, prof)
	names, byName, err := collectRules(prof.Syscalls)
	if err != nil {
		t.Fatal(err)
	}
	defRet, err := actionValue(prof.DefaultAction, prof.DefaultErrnoRet, "defaultAction")
	if err != nil {
		t.Fatal(err)
	}
	for _, ar := range allX86 {
		a := lookupArch(ar)
		plan := planArch(a, names, byName, defRet, make([]bool, len(names)))
		want := map[uint32]*verdict{}
		base, top := ^uint32(0), uint32(0)
		for i := range plan {
			want[plan[i].nr] = &plan[i]
			base, top = min(base, plan[i].nr), max(top, plan[i].nr)
		}
		checked := 0
		for nr := base &^ 0xff; nr <= top+64; nr++ {
			v := want[nr]
			if v != nil && len(v.conds) > 0 {
				continue // argument rules: see TestArgComparisons and TestDefaultProfile
			}
			exp := defRet
			if v != nil {
				exp = v.fallback
			}
			if got := run(t, p.Filter, input{arch: a.audit, nr: nr}); got != exp {
				t.Errorf("%s nr %d: got %#x, want %#x", ar, nr, got, exp)
			}
			checked++
		}
		if checked < len(plan) {
			t.Errorf("%s: checked %d numbers for %d verdicts", ar, checked, len(plan))
		}
	}
}

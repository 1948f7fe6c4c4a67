package cgroups

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Device rules. Apply writes exactly the spec's rules on top of "deny
// everything": it adds no allow-list of its own. Callers that want the
// devices every container needs (/dev/null, /dev/tty, ptys, ...) put
// DefaultDeviceRules after the spec's rules, the way runc appends its
// allowed devices.
//
// On v1 the kernel keeps the state: Apply writes "a" to devices.deny and
// then each rule, in order, to devices.allow or devices.deny. A running
// container briefly loses all devices during that (an update, not a
// create, is affected), which is what runc did before its v1 emulator.
// On v2 there are no files; the same rules are run through emulate, a
// copy of the v1 kernel's semantics, and the result becomes an eBPF
// program (devices_bpf.go), so that one config means the same on both.

// DefaultDeviceRules allows what runc and crun allow every container:
// mknod of any char or block device (creating a node grants no access),
// /dev/null, zero, full, random, urandom, tty, ptmx and the ptys under
// /dev/pts. Like runc 1.2 it leaves out /dev/net/tun.
var DefaultDeviceRules = []specs.LinuxDeviceCgroup{
	{Allow: true, Type: "c", Access: "m"},
	{Allow: true, Type: "b", Access: "m"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"}, // /dev/null
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "rwm"}, // /dev/zero
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(7), Access: "rwm"}, // /dev/full
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(8), Access: "rwm"}, // /dev/random
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(9), Access: "rwm"}, // /dev/urandom
	{Allow: true, Type: "c", Major: i64(5), Minor: i64(0), Access: "rwm"}, // /dev/tty
	{Allow: true, Type: "c", Major: i64(5), Minor: i64(2), Access: "rwm"}, // /dev/ptmx
	{Allow: true, Type: "c", Major: i64(136), Minor: nil, Access: "rwm"},  // /dev/pts/*
}

func i64(v int64) *int64 { return &v }

// Access bits, the values of BPF_DEVCG_ACC_* so the eBPF program can use
// them as they are.
const (
	accMknod uint8 = 1
	accRead  uint8 = 2
	accWrite uint8 = 4
	accAll         = accMknod | accRead | accWrite
)

// wildcard is a major or minor that matches every number ("*").
const wildcard int64 = -1

// devRule is a validated spec rule.
type devRule struct {
	allow        bool
	typ          byte // 'a', 'b' or 'c'
	major, minor int64
	access       uint8
}

// parseDeviceRule validates rule i of the spec. An empty type is "a", an
// empty access "rwm", and a missing major or minor matches all.
func parseDeviceRule(i int, r specs.LinuxDeviceCgroup) (devRule, error) {
	d := devRule{allow: r.Allow, typ: 'a', major: wildcard, minor: wildcard}
	field := fmt.Sprintf("devices[%d]", i)
	switch r.Type {
	case "", "a":
	case "b", "c":
		d.typ = r.Type[0]
	default:
		return d, fieldError(field, fmt.Errorf("type %q: want a, b or c", r.Type))
	}
	for _, n := range []struct {
		name string
		p    *int64
		dst  *int64
	}{{"major", r.Major, &d.major}, {"minor", r.Minor, &d.minor}} {
		if n.p == nil {
			continue
		}
		// The eBPF program compares with 32-bit immediates; real device
		// numbers are far smaller (12-bit majors, 20-bit minors).
		if *n.p < 0 || *n.p > math.MaxInt32 {
			return d, fieldError(field, fmt.Errorf("%s %d is out of range", n.name, *n.p))
		}
		*n.dst = *n.p
	}
	access := r.Access
	if access == "" {
		access = "rwm"
	}
	for _, c := range access {
		switch c {
		case 'r':
			d.access |= accRead
		case 'w':
			d.access |= accWrite
		case 'm':
			d.access |= accMknod
		default:
			return d, fieldError(field, fmt.Errorf("access %q: want letters of rwm", r.Access))
		}
	}
	return d, nil
}

// String formats the rule as devices.allow and devices.deny take it:
// "c 1:3 rwm", "b 8:* r", or "a" for everything.
func (d devRule) String() string {
	if d.typ == 'a' {
		return "a"
	}
	num := func(n int64) string {
		if n == wildcard {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	var acc strings.Builder
	for _, a := range []struct {
		bit uint8
		c   byte
	}{{accRead, 'r'}, {accWrite, 'w'}, {accMknod, 'm'}} {
		if d.access&a.bit != 0 {
			acc.WriteByte(a.c)
		}
	}
	return fmt.Sprintf("%c %s:%s %s", d.typ, num(d.major), num(d.minor), acc.String())
}

// fileWrite is one write to a cgroup file.
type fileWrite struct{ file, value string }

// deviceWritesV1 lists the v1 writes for rules: deny everything, then
// each rule in order.
func deviceWritesV1(rules []specs.LinuxDeviceCgroup) ([]fileWrite, error) {
	out := []fileWrite{{"devices.deny", "a"}}
	for i, r := range rules {
		d, err := parseDeviceRule(i, r)
		if err != nil {
			return nil, err
		}
		f := "devices.deny"
		if d.allow {
			f = "devices.allow"
		}
		out = append(out, fileWrite{f, d.String()})
	}
	return out, nil
}

func setDevicesV1(dir string, rules []specs.LinuxDeviceCgroup) error {
	writes, err := deviceWritesV1(rules)
	if err != nil {
		return err
	}
	// Runs of writes to one file share an open file: the kernel takes
	// each write(2) as one rule, and a container's dozen rules then cost
	// a dozen syscalls less.
	for i := 0; i < len(writes); {
		j := i
		var values []string
		for ; j < len(writes) && writes[j].file == writes[i].file; j++ {
			values = append(values, writes[j].value)
		}
		if k, err := writeEach(dir, writes[i].file, values); err != nil {
			if i+k == 0 {
				return fieldError("devices", err)
			}
			return fieldError(fmt.Sprintf("devices[%d]", i+k-1), err)
		}
		i = j
	}
	return nil
}

// devException is an entry of the v1 kernel's exception list: a rule
// whose action is the opposite of the default. Its type is 'b' or 'c'.
type devException struct {
	typ          byte
	major, minor int64
	access       uint8
}

// deviceState is what the v1 kernel keeps for a cgroup: a default and the
// exceptions to it.
type deviceState struct {
	defaultAllow bool
	exceptions   []devException
}

// emulate replays rules from "deny everything" the way the v1 kernel's
// devcgroup_update_access does (security/device_cgroup.c): a type "a"
// rule sets the default and clears the exceptions; a rule whose action
// is the default's removes its access from the exception with the same
// type and numbers; any other rule adds its access to that exception or
// appends one.
func emulate(rules []specs.LinuxDeviceCgroup) (deviceState, error) {
	var st deviceState
	for i, r := range rules {
		d, err := parseDeviceRule(i, r)
		if err != nil {
			return st, err
		}
		if d.typ == 'a' {
			st = deviceState{defaultAllow: d.allow}
			continue
		}
		idx := -1
		for j, e := range st.exceptions {
			if e.typ == d.typ && e.major == d.major && e.minor == d.minor {
				idx = j
			}
		}
		switch {
		case d.allow != st.defaultAllow && idx >= 0:
			st.exceptions[idx].access |= d.access
		case d.allow != st.defaultAllow:
			st.exceptions = append(st.exceptions, devException{d.typ, d.major, d.minor, d.access})
		case idx >= 0:
			st.exceptions[idx].access &^= d.access
			if st.exceptions[idx].access == 0 {
				st.exceptions = append(st.exceptions[:idx], st.exceptions[idx+1:]...)
			}
		}
	}
	return st, nil
}

// allowed answers an access check the way the v1 kernel does: with a
// deny default, one exception must cover the whole request
// (match_exception); with an allow default, no exception may overlap it
// at all (match_exception_partial). typ is 'b' or 'c'; access is a set of
// acc* bits.
func (st deviceState) allowed(typ byte, major, minor int64, access uint8) bool {
	for _, e := range st.exceptions {
		if e.typ != typ || (e.major != wildcard && e.major != major) ||
			(e.minor != wildcard && e.minor != minor) {
			continue
		}
		if st.defaultAllow && access&e.access != 0 {
			return false
		}
		if !st.defaultAllow && access&^e.access == 0 {
			return true
		}
	}
	return st.defaultAllow
}

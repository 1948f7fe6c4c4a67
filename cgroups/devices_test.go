package cgroups

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func rule(allow bool, typ string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: major, Minor: minor, Access: access}
}

func TestDeviceWritesV1(t *testing.T) {
	rules := []specs.LinuxDeviceCgroup{
		rule(false, "", nil, nil, "rwm"),
		rule(true, "c", i64(1), i64(3), "rwm"),
		rule(true, "c", i64(136), nil, "rw"),
		rule(true, "b", nil, nil, "m"),
		rule(false, "c", i64(1), i64(3), "w"),
		rule(true, "a", nil, nil, ""),
	}
	got, err := deviceWritesV1(rules)
	if err != nil {
		t.Fatal(err)
	}
	want := []fileWrite{
		{"devices.deny", "a"},
		{"devices.deny", "a"},
		{"devices.allow", "c 1:3 rwm"},
		{"devices.allow", "c 136:* rw"},
		{"devices.allow", "b *:* m"},
		{"devices.deny", "c 1:3 w"},
		{"devices.allow", "a"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deviceWritesV1:\n got %v\nwant %v", got, want)
	}
}

func TestParseDeviceRuleErrors(t *testing.T) {
	for _, r := range []specs.LinuxDeviceCgroup{
		rule(true, "u", nil, nil, "rwm"),
		rule(true, "c", i64(-2), nil, "rwm"),
		rule(true, "c", nil, i64(1<<40), "rwm"),
		rule(true, "c", nil, nil, "rwx"),
	} {
		_, err := parseDeviceRule(3, r)
		if err == nil || !strings.Contains(err.Error(), "linux.resources.devices[3]") {
			t.Errorf("parseDeviceRule(%+v) = %v, want an error naming devices[3]", r, err)
		}
	}
}

func TestEmulate(t *testing.T) {
	tests := []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  deviceState
	}{
		{"nothing: deny all", nil, deviceState{}},
		{"allow all", []specs.LinuxDeviceCgroup{rule(true, "a", nil, nil, "rwm")}, deviceState{defaultAllow: true}},
		{
			"allow then widen",
			[]specs.LinuxDeviceCgroup{rule(true, "c", i64(1), i64(3), "r"), rule(true, "c", i64(1), i64(3), "w")},
			deviceState{exceptions: []devException{{'c', 1, 3, accRead | accWrite}}},
		},
		{
			"deny removes access, then the whole exception",
			[]specs.LinuxDeviceCgroup{
				rule(true, "c", i64(1), i64(3), "rwm"), rule(true, "c", i64(1), i64(5), "rw"),
				rule(false, "c", i64(1), i64(3), "w"), rule(false, "c", i64(1), i64(5), "rw"),
			},
			deviceState{exceptions: []devException{{'c', 1, 3, accRead | accMknod}}},
		},
		{
			"deny does not punch a hole in a wildcard",
			[]specs.LinuxDeviceCgroup{rule(true, "c", nil, nil, "rwm"), rule(false, "c", i64(1), i64(3), "rwm")},
			deviceState{exceptions: []devException{{'c', wildcard, wildcard, accAll}}},
		},
		{
			"allow all, then deny",
			[]specs.LinuxDeviceCgroup{rule(true, "", nil, nil, ""), rule(false, "c", i64(1), i64(3), "w")},
			deviceState{defaultAllow: true, exceptions: []devException{{'c', 1, 3, accWrite}}},
		},
		{
			"type a resets",
			[]specs.LinuxDeviceCgroup{rule(true, "c", i64(1), i64(3), "rwm"), rule(false, "a", nil, nil, "")},
			deviceState{},
		},
	}
	for _, tt := range tests {
		got, err := emulate(tt.rules)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: emulate = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestDeviceStateAllowed(t *testing.T) {
	deny := deviceState{exceptions: []devException{{'c', 1, 3, accRead | accWrite}, {'c', 136, wildcard, accAll}}}
	allow := deviceState{defaultAllow: true, exceptions: []devException{{'c', 1, 3, accWrite}}}
	tests := []struct {
		st           deviceState
		typ          byte
		major, minor int64
		access       uint8
		want         bool
	}{
		{deny, 'c', 1, 3, accRead, true},
		{deny, 'c', 1, 3, accRead | accWrite, true},
		{deny, 'c', 1, 3, accMknod, false},
		{deny, 'b', 1, 3, accRead, false},
		{deny, 'c', 136, 7, accAll, true},
		{deny, 'c', 1, 5, accRead, false},
		{allow, 'c', 1, 3, accRead, true},
		{allow, 'c', 1, 3, accRead | accWrite, false}, // a partial overlap is enough to deny
		{allow, 'c', 1, 5, accWrite, true},
		{allow, 'b', 1, 3, accWrite, true},
	}
	for _, tt := range tests {
		if got := tt.st.allowed(tt.typ, tt.major, tt.minor, tt.access); got != tt.want {
			t.Errorf("%+v.allowed(%c %d:%d %d) = %v", tt.st, tt.typ, tt.major, tt.minor, tt.access, got)
		}
	}
}

// runBPF interprets the few instructions deviceProgram emits, for a
// request as the kernel passes it (struct bpf_cgroup_dev_ctx).
func runBPF(t *testing.T, prog []bpfInsn, ctx [3]uint32) uint32 {
	t.Helper()
	var reg [11]uint64
	const ctxPtr = 0xc0ffee
	reg[r1] = ctxPtr
	dstSrc := func(in bpfInsn) (uint8, uint8) {
		if littleEndian {
			return in.regs & 0xf, in.regs >> 4
		}
		return in.regs >> 4, in.regs & 0xf
	}
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		dst, src := dstSrc(in)
		imm64 := uint64(int64(in.imm)) // sign-extended, as the kernel does for jumps
		switch in.code {
		case bpfLDX | bpfMEM | bpfW:
			if reg[src] != ctxPtr || in.off%4 != 0 || in.off < 0 || in.off > 8 {
				t.Fatalf("insn %d: load from r%d%+d is not a context field", pc, src, in.off)
			}
			reg[dst] = uint64(ctx[in.off/4])
		case bpfALU | bpfAND | bpfK:
			reg[dst] = uint64(uint32(reg[dst]) & uint32(in.imm))
		case bpfALU | bpfRSH | bpfK:
			reg[dst] = uint64(uint32(reg[dst]) >> uint32(in.imm))
		case bpfALU | bpfMOV | bpfK:
			reg[dst] = uint64(uint32(in.imm))
		case bpfALU | bpfMOV | bpfX:
			reg[dst] = uint64(uint32(reg[src]))
		case bpfJMP | bpfJNE | bpfK:
			if reg[dst] != imm64 {
				pc += int(in.off)
			}
		case bpfJMP | bpfJEQ | bpfK:
			if reg[dst] == imm64 {
				pc += int(in.off)
			}
		case bpfJMP | bpfEXIT:
			return uint32(reg[r0])
		default:
			t.Fatalf("insn %d: opcode %#x not expected", pc, in.code)
		}
		if in.off < 0 {
			t.Fatalf("insn %d jumps backwards", pc)
		}
	}
	t.Fatal("program ran off its end")
	return 0
}

// TestDeviceProgramMatchesEmulator runs the generated eBPF program and
// deviceState.allowed over every combination of a few device numbers and
// all access sets, for rule sets of both defaults.
func TestDeviceProgramMatchesEmulator(t *testing.T) {
	ruleSets := [][]specs.LinuxDeviceCgroup{
		nil,
		{rule(true, "a", nil, nil, "rwm")},
		append([]specs.LinuxDeviceCgroup{rule(false, "a", nil, nil, "rwm")}, DefaultDeviceRules...),
		{rule(true, "a", nil, nil, "rwm"), rule(false, "c", i64(1), i64(3), "w"), rule(false, "b", i64(8), nil, "rm")},
		{rule(true, "c", i64(1), nil, "r"), rule(true, "b", nil, i64(0), "w"), rule(true, "c", i64(1), i64(3), "wm")},
		{rule(true, "a", nil, nil, ""), rule(false, "c", nil, nil, "m"), rule(false, "b", nil, nil, "")},
	}
	for i, rules := range ruleSets {
		st, err := emulate(rules)
		if err != nil {
			t.Fatal(err)
		}
		prog := deviceProgram(st)
		for _, typ := range []byte{'b', 'c'} {
			for _, major := range []int64{0, 1, 5, 8, 136} {
				for _, minor := range []int64{0, 1, 3, 5, 7} {
					for access := uint8(1); access <= accAll; access++ {
						ctx := [3]uint32{uint32(devType(typ)) | uint32(access)<<16, uint32(major), uint32(minor)}
						want := st.allowed(typ, major, minor, access)
						if got := runBPF(t, prog, ctx) == 1; got != want {
							t.Errorf("rule set %d: %c %d:%d access %03b: program says %v, emulator %v",
								i, typ, major, minor, access, got, want)
						}
					}
				}
			}
		}
	}
}

func TestDeviceProgramShape(t *testing.T) {
	st, _ := emulate([]specs.LinuxDeviceCgroup{rule(true, "c", i64(1), i64(3), "rwm")})
	prog := deviceProgram(st)
	// 6 prologue, 3 compares + mov + exit, default mov + exit.
	if len(prog) != 13 {
		t.Errorf("program for one full-access exception has %d instructions, want 13: %s", len(prog), fmt.Sprint(prog))
	}
	if last := prog[len(prog)-1]; last.code != bpfJMP|bpfEXIT {
		t.Errorf("last instruction %+v is not exit", last)
	}
}

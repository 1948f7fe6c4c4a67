package capabilities

import (
	"slices"
	"strings"
	"testing"
)

// dockerStatus is the status of a process in a default Docker container.
const dockerStatus = `Name:	cat
Umask:	0022
State:	R (running)
Uid:	0	0	0	0
CapInh:	0000000000000000
CapPrm:	00000000a80425fb
CapEff:	00000000a80425fb
CapBnd:	00000000a80425fb
CapAmb:	0000000000000000
NoNewPrivs:	0
`

func TestParseStatusDocker(t *testing.T) {
	caps, err := ParseStatus(strings.NewReader(dockerStatus))
	if err != nil {
		t.Fatal(err)
	}
	want := sorted(t, Default)
	for set, got := range map[string][]string{
		"effective": caps.Effective, "permitted": caps.Permitted, "bounding": caps.Bounding,
	} {
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", set, got, want)
		}
	}
	if caps.Inheritable != nil || caps.Ambient != nil {
		t.Errorf("inheritable = %v, ambient = %v; want both empty", caps.Inheritable, caps.Ambient)
	}
}

func TestParseStatusGrepOutput(t *testing.T) {
	// `busybox grep Cap /proc/self/status` of a full-root process on a
	// kernel whose cap_last_cap is 40, with CAP_SYS_RESOURCE missing.
	in := "CapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\n" +
		"CapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000020\n"
	caps, err := ParseStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(caps.Effective) != 40 || slices.Contains(caps.Effective, "CAP_SYS_RESOURCE") {
		t.Errorf("effective = %v, want all 41 but CAP_SYS_RESOURCE", caps.Effective)
	}
	if !slices.Equal(caps.Ambient, []string{"CAP_KILL"}) {
		t.Errorf("ambient = %v, want [CAP_KILL]", caps.Ambient)
	}
}

func TestParseStatusWithoutAmbient(t *testing.T) {
	// Kernels before 4.3 have no CapAmb line.
	in := strings.Replace(dockerStatus, "CapAmb:\t0000000000000000\n", "", 1)
	caps, err := ParseStatus(strings.NewReader(in))
	if err != nil || caps.Ambient != nil {
		t.Errorf("ParseStatus = %v, %v; want empty ambient, nil", caps.Ambient, err)
	}
}

func TestParseStatusErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{strings.Replace(dockerStatus, "a80425fb\nCapEff", "zz\nCapEff", 1), `line 6: CapPrm "00000000zz"`},
		{strings.Replace(dockerStatus, "CapBnd:", "CapBnx:", 1), "no CapBnd line"},
		{"", "no CapInh line"},
	} {
		_, err := ParseStatus(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseStatus error = %v, want one containing %q", err, tc.want)
		}
	}
}

// sorted returns list's canonical names in capability number order, as
// ParseStatus reports them.
func sorted(t *testing.T, list []string) []string {
	t.Helper()
	nums, err := Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return names(mask(nums))
}

package capabilities

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execStatus parses the busybox grep output of an exec scenario into its
// capability sets and its Uid, Gid and Groups lines.
func execStatus(t *testing.T, name string) (specs.LinuxCapabilities, map[string]string) {
	t.Helper()
	out, err := child(t, name)
	if err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	caps, err := ParseStatus(strings.NewReader(out))
	if err != nil {
		t.Fatalf("scenario %s: %v\n%s", name, err, out)
	}
	ids := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if key, value, ok := strings.Cut(line, ":"); ok {
			ids[key] = strings.Join(strings.Fields(value), " ")
		}
	}
	return caps, ids
}

// jsonStatus decodes the Current() result of an in-process scenario.
func jsonStatus(t *testing.T, name string) specs.LinuxCapabilities {
	t.Helper()
	out, err := child(t, name)
	if err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	var caps specs.LinuxCapabilities
	if err := json.Unmarshal([]byte(out), &caps); err != nil {
		t.Fatalf("scenario %s: %v\n%s", name, err, out)
	}
	return caps
}

func checkSets(t *testing.T, got, want specs.LinuxCapabilities) {
	t.Helper()
	for _, s := range []struct {
		name      string
		got, want []string
	}{
		{"effective", got.Effective, want.Effective},
		{"permitted", got.Permitted, want.Permitted},
		{"inheritable", got.Inheritable, want.Inheritable},
		{"bounding", got.Bounding, want.Bounding},
		{"ambient", got.Ambient, want.Ambient},
	} {
		if !slices.Equal(s.got, s.want) {
			t.Errorf("%s = %v, want %v", s.name, s.got, s.want)
		}
	}
}

func checkIDs(t *testing.T, got map[string]string, uid, gid, groups string) {
	t.Helper()
	for key, want := range map[string]string{"Uid": uid, "Gid": gid, "Groups": groups} {
		if got[key] != want {
			t.Errorf("%s = %q, want %q", key, got[key], want)
		}
	}
}

func TestApplyDefaultsAsRoot(t *testing.T) {
	caps, ids := execStatus(t, "root-default")
	d := sorted(t, Default)
	checkSets(t, caps, specs.LinuxCapabilities{
		Effective: d, Permitted: d, Inheritable: d, Bounding: d,
	})
	checkIDs(t, ids, "0 0 0 0", "0 0 0 0", "")
}

func TestSetUserKeepsAmbientCapsAcrossExec(t *testing.T) {
	caps, ids := execStatus(t, "nobody-ambient")
	d := sorted(t, Default)
	checkSets(t, caps, *all(d))
	checkIDs(t, ids, "65534 65534 65534 65534", "65534 65534 65534 65534", "1000 2000")
}

func TestSetUserWithoutCapsLeavesNone(t *testing.T) {
	caps, ids := execStatus(t, "nobody-no-caps")
	checkSets(t, caps, specs.LinuxCapabilities{Bounding: sorted(t, Default)})
	checkIDs(t, ids, "65534 65534 65534 65534", "65534 65534 65534 65534", "")
}

func TestSetUserNilCapsKeepsBounding(t *testing.T) {
	host, err := Current()
	if err != nil {
		t.Fatal(err)
	}
	caps, ids := execStatus(t, "nobody-nil-caps")
	checkSets(t, caps, specs.LinuxCapabilities{Bounding: host.Bounding})
	checkIDs(t, ids, "65534 65534 65534 65534", "65534 65534 65534 65534", "")
}

func TestApplySetsEachSetOfTheThread(t *testing.T) {
	caps := jsonStatus(t, "thread-mixed")
	d := sorted(t, Default)
	checkSets(t, caps, specs.LinuxCapabilities{
		Effective:   []string{"CAP_CHOWN", "CAP_KILL"},
		Permitted:   d,
		Inheritable: []string{"CAP_KILL", "CAP_NET_RAW"},
		Bounding:    d,
		Ambient:     []string{"CAP_KILL"},
	})
}

func TestSetUserChangesOnlyTheCallingThread(t *testing.T) {
	if _, err := child(t, "per-thread"); err != nil {
		t.Error(err)
	}
}

func TestDropBoundingSkipsAbsentCaps(t *testing.T) {
	caps := jsonStatus(t, "redrop-without-setpcap")
	only := []string{"CAP_CHOWN"}
	checkSets(t, caps, specs.LinuxCapabilities{Effective: only, Permitted: only, Bounding: only})
}

func TestApplyNamesCapsMissingFromPermitted(t *testing.T) {
	_, err := child(t, "raise-not-permitted")
	want := "CAP_SYS_ADMIN not in the permitted set of this thread: capset: operation not permitted"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want one containing %q", err, want)
	}
}

// TestApplySkipsAmbientNotInheritable: as runc, an ambient capability
// that is not inheritable is left out rather than failing the container.
func TestApplySkipsAmbientNotInheritable(t *testing.T) {
	caps := jsonStatus(t, "ambient-not-inheritable")
	if len(caps.Ambient) != 0 {
		t.Errorf("ambient set %v, want empty", caps.Ambient)
	}
}

// Unknown names fail before any system call, so these run in the test
// process itself and need no privilege.
func TestUnknownNamesFailBeforeChangingAnything(t *testing.T) {
	err := Apply(&specs.LinuxCapabilities{Effective: Default, Ambient: []string{"CAP_FLY"}})
	if err == nil || err.Error() != `parse ambient capabilities: unknown capability "CAP_FLY"` {
		t.Errorf("Apply error = %v", err)
	}
	err = DropBounding([]string{"chown", "bogus"})
	if err == nil || err.Error() != `parse bounding capabilities: unknown capability "bogus"` {
		t.Errorf("DropBounding error = %v", err)
	}
	if _, err := Unsupported([]string{"bogus"}); err == nil {
		t.Error("Unsupported accepted an unknown name")
	}
}

func TestUnsupportedOnThisKernel(t *testing.T) {
	last, err := LastCap()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unsupported([]string{"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"})
	if err != nil {
		t.Fatal(err)
	}
	if want := last < 40; (len(got) == 1) != want {
		t.Errorf("Unsupported = %v with cap_last_cap %d", got, last)
	}
}

func TestApplyNilChangesNothing(t *testing.T) {
	if err := Apply(nil); err != nil {
		t.Errorf("Apply(nil) = %v", err)
	}
}

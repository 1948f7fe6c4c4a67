package capabilities

import (
	"slices"
	"strings"
	"testing"
)

func TestKnown(t *testing.T) {
	for name, want := range map[string]bool{
		"CAP_CHOWN":              true,
		"chown":                  true,
		"cap_sys_admin":          true,
		"Sys_Admin":              true,
		"CAP_CHECKPOINT_RESTORE": true,
		"CAP_":                   false,
		"":                       false,
		"CAP_NOPE":               false,
		"CAP_CAP_CHOWN":          false,
		" CAP_CHOWN":             false,
	} {
		if got := Known(name); got != want {
			t.Errorf("Known(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	got, err := Parse([]string{"CAP_KILL", "chown", "cap_kill", "Checkpoint_Restore", "CAP_NET_RAW"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{5, 0, 40, 13}; !slices.Equal(got, want) {
		t.Errorf("Parse = %v, want %v", got, want)
	}
	if got, err := Parse(nil); err != nil || len(got) != 0 {
		t.Errorf("Parse(nil) = %v, %v; want empty, nil", got, err)
	}
}

func TestParseUnknownNamesTheCapability(t *testing.T) {
	_, err := Parse([]string{"CAP_CHOWN", "CAP_FLY"})
	if err == nil || !strings.Contains(err.Error(), `"CAP_FLY"`) {
		t.Fatalf("Parse error = %v, want one naming \"CAP_FLY\"", err)
	}
}

func TestNameTable(t *testing.T) {
	if len(capNames) != 41 {
		t.Fatalf("table has %d names, want 41 (CAP_CHOWN=0 to CAP_CHECKPOINT_RESTORE=40)", len(capNames))
	}
	for n, name := range capNames {
		if name == "" {
			t.Errorf("capability %d has no name", n)
		}
		if got, ok := lookup(name); !ok || got != n {
			t.Errorf("lookup(%q) = %d, %v; want %d", name, got, ok, n)
		}
		if Name(n) != name {
			t.Errorf("Name(%d) = %q, want %q", n, Name(n), name)
		}
	}
	if got := Name(41); got != "CAP_41" {
		t.Errorf("Name(41) = %q, want CAP_41", got)
	}
}

func TestDefaultIsDockers(t *testing.T) {
	want := []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
		"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
	}
	if !slices.Equal(Default, want) {
		t.Errorf("Default = %v, want %v", Default, want)
	}
	for _, name := range Default {
		if !Known(name) {
			t.Errorf("Default has unknown %q", name)
		}
	}
}

func TestMaskNamesRoundTrip(t *testing.T) {
	nums, err := Parse(Default)
	if err != nil {
		t.Fatal(err)
	}
	m := mask(nums)
	if m != 0xa80425fb {
		t.Errorf("mask(Default) = %#x, want 0xa80425fb (Docker's CapEff)", m)
	}
	got := names(m)
	if len(got) != len(Default) {
		t.Fatalf("names(mask(Default)) = %v", got)
	}
	if !slices.IsSortedFunc(got, func(a, b string) int { return capNumbers[a] - capNumbers[b] }) {
		t.Errorf("names not in number order: %v", got)
	}
	if got := names(1 << 41); !slices.Equal(got, []string{"CAP_41"}) {
		t.Errorf("names(1<<41) = %v", got)
	}
	if got := names(0); got != nil {
		t.Errorf("names(0) = %v, want nil", got)
	}
}

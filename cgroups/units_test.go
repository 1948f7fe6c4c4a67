package cgroups

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1024", 1024}, {"512m", 512 << 20}, {"512MB", 512 << 20}, {"1.5g", 3 << 29},
		{"2GiB", 2 << 30}, {"1k", 1024}, {"-1", -1}, {"1t", 1 << 40},
	}
	for _, tt := range tests {
		if got, err := ParseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "m", "12x", "-5", "1.2.3"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

func TestCPUQuota(t *testing.T) {
	q, p, err := CPUQuota("1.5")
	if err != nil || q != 150000 || p != 100000 {
		t.Fatalf("CPUQuota(1.5) = %d, %d, %v", q, p, err)
	}
	for _, bad := range []string{"0", "-1", "x"} {
		if _, _, err := CPUQuota(bad); err == nil {
			t.Errorf("CPUQuota(%q) accepted", bad)
		}
	}
}

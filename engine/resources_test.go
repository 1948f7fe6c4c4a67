package engine

import (
	"strings"
	"testing"
)

// TestResourceErrors checks that a limit out of range is refused in the
// user's terms, naming the flag, before any cgroup is written.
func TestResourceErrors(t *testing.T) {
	cases := []struct {
		o    ResourceOptions
		want string
	}{
		{ResourceOptions{CPUs: "0.001"}, "--cpus 0.001: the minimum is 0.01"},
		{ResourceOptions{CPUs: "100000"}, "--cpus 100000: want 0.01 to "},
		{ResourceOptions{CPUs: "-1"}, `--cpus "-1": want a positive number`},
		{ResourceOptions{CPUs: "lots"}, `--cpus "lots": want a positive number`},
		{ResourceOptions{CPUShares: 1}, "--cpu-shares 1: want 2 to 262144"},
		{ResourceOptions{CPUShares: 262145}, "--cpu-shares 262145: want 2 to 262144"},
		{ResourceOptions{Memory: "1k"}, "--memory 1k: the minimum is 6m"},
		{ResourceOptions{BlkioWeight: 5}, "--blkio-weight 5: want 10 to 1000"},
	}
	for _, c := range cases {
		_, err := c.o.Resources()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to start %q", c.o, err, c.want)
		}
	}

	res, err := ResourceOptions{CPUs: "0.01", CPUShares: 2}.Resources()
	if err != nil || *res.CPU.Quota != 1000 || *res.CPU.Period != 100000 || *res.CPU.Shares != 2 {
		t.Fatalf("--cpus 0.01 --cpu-shares 2: %+v, %v", res, err)
	}
}

func TestCheckName(t *testing.T) {
	long := strings.Repeat("a", 129)
	if err := checkName(long); err == nil || !strings.Contains(err.Error(), "longer than 128 characters") {
		t.Errorf("129 characters: %v", err)
	}
	if err := checkName(strings.Repeat("a", 128)); err != nil {
		t.Errorf("128 characters: %v", err)
	}
	if err := checkName("-web"); err == nil || !strings.Contains(err.Error(), "must start with a letter or digit") {
		t.Errorf("-web: %v", err)
	}
}

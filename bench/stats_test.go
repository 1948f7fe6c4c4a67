package bench

import (
	"math"
	"slices"
	"testing"
	"time"
)

func msd(v ...float64) []time.Duration {
	var out []time.Duration
	for _, f := range v {
		out = append(out, time.Duration(f*float64(time.Millisecond)))
	}
	return out
}

func TestPercentile(t *testing.T) {
	ten := msd(10, 1, 9, 2, 8, 3, 7, 4, 6, 5) // 1..10, unsorted
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    float64 // ms
	}{
		{"empty", nil, 50, 0},
		{"one sample is every percentile", msd(7), 99, 7},
		{"median of an odd count", msd(3, 1, 2), 50, 2},
		{"median of an even count interpolates", msd(1, 2, 3, 4), 50, 2.5},
		{"p0 is the minimum", ten, 0, 1},
		{"p100 is the maximum", ten, 100, 10},
		{"p90 of 1..10", ten, 90, 9.1},
		{"p99 of 1..10 lies between the two slowest", ten, 99, 9.91},
		{"above 100 clamps", ten, 150, 10},
		{"below 0 clamps", ten, -5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := float64(Percentile(tc.samples, tc.p)) / float64(time.Millisecond)
			if math.Abs(got-tc.want) > 1e-6 {
				t.Errorf("Percentile(%v, %v) = %v ms, want %v ms", tc.samples, tc.p, got, tc.want)
			}
		})
	}
}

func TestPercentileLeavesInputAlone(t *testing.T) {
	in := msd(3, 1, 2)
	Percentile(in, 50)
	if !slices.Equal(in, msd(3, 1, 2)) {
		t.Errorf("input reordered: %v", in)
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(msd(4, 1, 3, 2))
	want := Summary{N: 4, Min: msd(1)[0], Max: msd(4)[0], Mean: msd(2.5)[0],
		P50: msd(2.5)[0], P90: msd(3.7)[0], P99: msd(3.97)[0]}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	if (Summarize(nil) != Summary{}) {
		t.Error("Summarize(nil) is not the zero Summary")
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b time.Duration
		want float64
	}{
		{10, 40, 0.25},
		{40, 10, 4},
		{5, 5, 1},
		{0, 10, 0},  // the contender did not run
		{10, 0, 0},  // the reference did not run
		{-1, 10, 0}, // nonsense stays out of the report
	} {
		if got := Ratio(tc.a, tc.b); got != tc.want {
			t.Errorf("Ratio(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestSchedule(t *testing.T) {
	count := func(on []bool) int {
		n := 0
		for _, b := range on {
			if b {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct{ rounds, runs int }{
		{50, 5}, {50, 50}, {50, 80}, {3, 3}, {30, 3}, {7, 3}, {10, 1}, {1, 1},
	} {
		on := Schedule(tc.rounds, tc.runs)
		if len(on) != tc.rounds {
			t.Fatalf("Schedule(%d, %d) has %d rounds", tc.rounds, tc.runs, len(on))
		}
		if got, want := count(on), min(tc.runs, tc.rounds); got != want {
			t.Errorf("Schedule(%d, %d) runs %d times, want %d", tc.rounds, tc.runs, got, want)
		}
		if !on[0] {
			t.Errorf("Schedule(%d, %d) skips the first round", tc.rounds, tc.runs)
		}
	}
	// Spread: 5 runs over 50 rounds are 10 rounds apart.
	var at []int
	for i, b := range Schedule(50, 5) {
		if b {
			at = append(at, i)
		}
	}
	if !slices.Equal(at, []int{0, 10, 20, 30, 40}) {
		t.Errorf("Schedule(50, 5) runs in rounds %v", at)
	}
	if count(Schedule(10, 0)) != 0 || len(Schedule(0, 3)) != 0 {
		t.Error("Schedule with no runs or no rounds runs something")
	}
}

func TestOrderRotates(t *testing.T) {
	first := map[int]bool{}
	for round := 0; round < 4; round++ {
		o := Order(round, 4)
		sorted := slices.Clone(o)
		slices.Sort(sorted)
		if !slices.Equal(sorted, []int{0, 1, 2, 3}) {
			t.Fatalf("Order(%d, 4) = %v: not a permutation", round, o)
		}
		first[o[0]] = true
	}
	if len(first) != 4 {
		t.Errorf("over 4 rounds, %d contenders went first, want each once", len(first))
	}
}

package bench

import (
	"math"
	"slices"
	"time"
)

// Summary describes the start-up times of one contender.
type Summary struct {
	N    int
	Min  time.Duration
	Mean time.Duration
	P50  time.Duration
	P90  time.Duration
	P99  time.Duration
	Max  time.Duration
}

// Summarize returns the summary of samples; the zero Summary when there
// are none.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{
		N:    len(s),
		Min:  s[0],
		Mean: sum / time.Duration(len(s)),
		P50:  percentileSorted(s, 50),
		P90:  percentileSorted(s, 90),
		P99:  percentileSorted(s, 99),
		Max:  s[len(s)-1],
	}
}

// Percentile returns the p-th percentile (0 to 100) of samples,
// interpolating linearly between the two closest ranks, as numpy's
// default method and most benchmark tools do: with few samples the p99
// lies between the two slowest runs rather than being the slowest one.
// It returns 0 for no samples.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return percentileSorted(s, p)
}

func percentileSorted(s []time.Duration, p float64) time.Duration {
	p = math.Max(0, math.Min(100, p))
	pos := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return s[lo] + time.Duration(math.Round(frac*float64(s[hi]-s[lo])))
}

// Ratio returns a/b, or 0 when either is not positive (a contender that
// did not run has no ratio).
func Ratio(a, b time.Duration) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Schedule spreads runs of a contender evenly over rounds: it returns, for
// each round, whether the contender runs in it. A contender with as many
// runs as there are rounds runs in every one; the VM, run fewer times,
// runs in rounds spread from the first to the last, so machine noise in
// any part of the benchmark reaches it as it reaches the others.
func Schedule(rounds, runs int) []bool {
	on := make([]bool, rounds)
	if rounds <= 0 || runs <= 0 {
		return on
	}
	if runs >= rounds {
		for i := range on {
			on[i] = true
		}
		return on
	}
	// Round i is on when it crosses a multiple of rounds/runs: the k-th
	// run lands in round floor(k*rounds/runs), k = 0..runs-1.
	for k := 0; k < runs; k++ {
		on[k*rounds/runs] = true
	}
	return on
}

// Order returns the order in which n contenders run in round: rotated by
// one each round, so none always runs first (after the idle gap that
// machine noise such as a timer tick or a cache flush likes to fill) or
// always right after a heavy one.
func Order(round, n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = (round + i) % n
	}
	return order
}

package forecast

import (
	"fmt"
	"math"
)

// RateTest is the outcome of PoissonRateTest.
type RateTest struct {
	Baseline, Recent           float64 // events counted in each period
	BaselineSteps, RecentSteps int     // observed steps in each (the exposures)
	// Ratio is the recent rate over the baseline rate (+Inf when the
	// baseline counted nothing and the recent period something; NaN when
	// both counted nothing).
	Ratio float64
	// PUp and PDown are the one-sided p-values of the recent rate being
	// higher, or lower, than the baseline's: 1 when nothing was counted.
	PUp, PDown float64
}

// PoissonRateTest compares the rate of events of recent with that of
// baseline, two runs of counts per step (incidents a day, deployments a
// week), with the exact conditional test for two Poisson rates (Przyborowski
// & Wilenski 1940; Lehmann, Testing Statistical Hypotheses, §4.5): given
// N = B + R events in all, the recent count R is Binomial(N, p) under equal
// rates, with p = r/(b + r) the recent share of the b + r observed steps.
//
// It is the right test for the small counts control charts handle badly: a
// chart takes a normal spread from a baseline of a handful of zeros and
// ones, so one busy week is a three-sigma event, while the exact test knows
// that 3 incidents in a week after 10 in 14 weeks happen by chance (p ≈ 0.05)
// and that 8 in two weeks do not (p ≈ 0.0008).
//
// NaN steps are missing (they add no exposure). Counts must be finite and
// not negative; a fractional count (a rate times a window) is rounded.
func PoissonRateTest(baseline, recent []float64) (RateTest, error) {
	var t RateTest
	var err error
	if t.Baseline, t.BaselineSteps, err = sumCounts(baseline); err != nil {
		return t, fmt.Errorf("rate test: baseline: %w", err)
	}
	if t.Recent, t.RecentSteps, err = sumCounts(recent); err != nil {
		return t, fmt.Errorf("rate test: recent: %w", err)
	}
	if t.BaselineSteps == 0 || t.RecentSteps == 0 {
		return t, fmt.Errorf("rate test: %w: %d baseline and %d recent steps observed", ErrTooShort, t.BaselineSteps, t.RecentSteps)
	}
	rb, rr := t.Baseline/float64(t.BaselineSteps), t.Recent/float64(t.RecentSteps)
	t.Ratio = rr / rb
	if t.Baseline == 0 && t.Recent == 0 {
		t.Ratio = math.NaN()
	}
	n, k := int(t.Baseline+t.Recent), int(t.Recent)
	p := float64(t.RecentSteps) / float64(t.BaselineSteps+t.RecentSteps)
	t.PUp = binomialTail(n, k, p, true)
	t.PDown = binomialTail(n, k, p, false)
	return t, nil
}

func sumCounts(x []float64) (float64, int, error) {
	var sum float64
	n := 0
	for i, v := range x {
		switch {
		case math.IsNaN(v):
			continue
		case math.IsInf(v, 0):
			return 0, 0, fmt.Errorf("%w at index %d", ErrNonFinite, i)
		case v < 0:
			return 0, 0, fmt.Errorf("negative count %v at index %d", v, i)
		}
		sum += math.Round(v)
		n++
	}
	if sum > 1e9 { // beyond, the log-gamma terms lose the precision the tails need
		return 0, 0, fmt.Errorf("%w: %v events", ErrOverflow, sum)
	}
	return sum, n, nil
}

// binomialTail is P(X ≥ k) (upper) or P(X ≤ k) for X ~ Binomial(n, p).
// A tail away from the mode is summed in log space from k outwards until
// the terms stop mattering (a few standard deviations of terms); a tail
// holding the mode is one minus the other, so the cost never grows with n
// beyond its square root.
func binomialTail(n, k int, p float64, upper bool) float64 {
	if n == 0 || upper && k <= 0 || !upper && k >= n {
		return 1
	}
	mode := int(math.Floor(float64(n+1) * p))
	if upper && k <= mode {
		return max(0, 1-binomialTail(n, k-1, p, false))
	}
	if !upper && k >= mode {
		return max(0, 1-binomialTail(n, k+1, p, true))
	}
	lp, lq := math.Log(p), math.Log1p(-p)
	lnN, _ := math.Lgamma(float64(n + 1))
	logPMF := func(i int) float64 {
		a, _ := math.Lgamma(float64(i + 1))
		b, _ := math.Lgamma(float64(n - i + 1))
		return lnN - a - b + float64(i)*lp + float64(n-i)*lq
	}
	step, stop := 1, n
	if !upper {
		step, stop = -1, 0
	}
	var sum float64
	for i := k; ; i += step {
		term := math.Exp(logPMF(i))
		sum += term
		if i == stop || term <= sum*1e-17 {
			break
		}
	}
	return min(sum, 1)
}

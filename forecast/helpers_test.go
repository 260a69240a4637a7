package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// z975 is the 0.975 standard normal quantile, for 95% intervals.
const z975 = 1.959963984540054

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// checkPreds compares predictions with expected means and half-widths.
func checkPreds(t testing.TB, got []Prediction, mean, half []float64) {
	t.Helper()
	if len(got) != len(mean) {
		t.Fatalf("got %d predictions, want %d", len(got), len(mean))
	}
	for i, p := range got {
		if !near(p.Mean, mean[i], 1e-9) {
			t.Errorf("step %d: mean %.10g, want %.10g", i+1, p.Mean, mean[i])
		}
		if half == nil {
			continue
		}
		if !near(p.Upper-p.Mean, half[i], 1e-6) || !near(p.Mean-p.Lower, half[i], 1e-6) {
			t.Errorf("step %d: interval [%.10g, %.10g] around %.10g, want half-width %.10g", i+1, p.Lower, p.Upper, p.Mean, half[i])
		}
	}
}

// rng returns a seeded PCG generator: tests and benchmarks are reproducible.
func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7468726f756768)) }

// trendNoise is 10 + 0.5t + N(0, 1).
func trendNoise(r *rand.Rand, n int) []float64 {
	y := make([]float64, n)
	for t := range y {
		y[t] = 10 + 0.5*float64(t) + r.NormFloat64()
	}
	return y
}

// weekly is 50 + 0.2t + a weekly pattern + N(0, sd²).
func weekly(r *rand.Rand, n int, sd float64) []float64 {
	pattern := []float64{8, 5, 2, 0, -3, -6, -6}
	y := make([]float64, n)
	for t := range y {
		y[t] = 50 + 0.2*float64(t) + pattern[t%7] + sd*r.NormFloat64()
	}
	return y
}

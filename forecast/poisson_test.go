package forecast

import (
	"errors"
	"math"
	"testing"
)

// TestPoissonRateTest checks the p-values against sums worked by hand.
func TestPoissonRateTest(t *testing.T) {
	// 10 events over 14 weeks, then 4 in one: N = 14, p = 1/15,
	// P(X ≥ 4) = 1 − Σ_{i≤3} C(14,i)(1/15)^i(14/15)^(14−i).
	base := []float64{1, 0, 1, 2, 0, 0, 1, 1, 0, 1, 2, 0, 1, 0}
	got, err := PoissonRateTest(base, []float64{4})
	if err != nil {
		t.Fatal(err)
	}
	q := 14.0 / 15
	var le3 float64
	for i, c := range []float64{1, 14, 91, 364} {
		le3 += c * math.Pow(1.0/15, float64(i)) * math.Pow(q, float64(14-i))
	}
	if !near(got.PUp, 1-le3, 1e-12) || !near(got.PDown, le3+1001*math.Pow(1.0/15, 4)*math.Pow(q, 10), 1e-12) {
		t.Errorf("PUp %v (want %v), PDown %v", got.PUp, 1-le3, got.PDown)
	}
	if got.Baseline != 10 || got.Recent != 4 || got.BaselineSteps != 14 || got.RecentSteps != 1 || !near(got.Ratio, 5.6, 1e-12) {
		t.Errorf("%+v", got)
	}

	// A freeze: 4 a week for 4 weeks, then 0 in 2 weeks. N = 16,
	// p = 1/3: P(X ≤ 0) = (2/3)^16.
	got, _ = PoissonRateTest([]float64{4, 4, math.NaN(), 4, 4}, []float64{0, 0})
	if !near(got.PDown, math.Pow(2.0/3, 16), 1e-12) || got.PUp != 1 || got.Ratio != 0 {
		t.Errorf("freeze: %+v", got)
	}

	// Nothing counted: no evidence either way.
	got, _ = PoissonRateTest([]float64{0, 0, 0}, []float64{0})
	if got.PUp != 1 || got.PDown != 1 || !math.IsNaN(got.Ratio) {
		t.Errorf("nothing counted: %+v", got)
	}
	// Something out of nothing.
	got, _ = PoissonRateTest([]float64{0, 0, 0}, []float64{2})
	if !near(got.PUp, math.Pow(0.25, 2), 1e-12) || !math.IsInf(got.Ratio, 1) {
		t.Errorf("from zero: %+v", got)
	}
	// Large counts agree with the normal approximation's order.
	got, _ = PoissonRateTest([]float64{10000, 10000}, []float64{10400})
	if !(got.PUp > 1e-4 && got.PUp < 1e-2) {
		t.Errorf("large counts: PUp %v, want about 0.002", got.PUp)
	}

	for _, tc := range []struct {
		base, recent []float64
		want         error
	}{
		{nil, []float64{1}, ErrTooShort},
		{[]float64{1}, []float64{math.NaN()}, ErrTooShort},
		{[]float64{1, math.Inf(1)}, []float64{1}, ErrNonFinite},
		{[]float64{1}, []float64{-1}, nil},
		{[]float64{2e9}, []float64{1}, ErrOverflow},
	} {
		if _, err := PoissonRateTest(tc.base, tc.recent); err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%v, %v: error %v, want %v", tc.base, tc.recent, err, tc.want)
		}
	}
}

// FuzzPoissonRateTest: any counts give p-values in [0, 1] or an error.
func FuzzPoissonRateTest(f *testing.F) {
	f.Add(3.0, 1.0, 0.0, 7.0, 2.0)
	f.Add(0.0, 0.0, 0.0, 0.0, 0.0)
	f.Add(1e9, 1e9, 1e9, 1e9, 0.0)
	f.Fuzz(func(t *testing.T, a, b, c, d, r float64) {
		got, err := PoissonRateTest([]float64{a, b, c, d}, []float64{r})
		if err != nil {
			return
		}
		for _, p := range []float64{got.PUp, got.PDown} {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("%v %v %v %v | %v: p-value %v", a, b, c, d, r, p)
			}
		}
		if got.PUp+got.PDown < 1-1e-9 {
			t.Fatalf("PUp %v + PDown %v < 1: both tails include the observed count", got.PUp, got.PDown)
		}
	})
}

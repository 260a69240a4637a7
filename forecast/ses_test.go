package forecast

import (
	"errors"
	"math"
	"testing"
)

// TestSESFixed works y = 1, 3, 2 with α = 0.5 by hand. From a zero start
// the errors are e⁰ = 1, 2.5, 0.25 (levels 0.5, 1.75, 1.875); from a unit
// start on zeros u = −1, −0.5, −0.25 (final level 0.125). The least-squares
// start is ℓ₀ = −Σe⁰u/Σu² = 2.3125/1.3125 = 37/21, the final level
// 1.875 + 0.125·37/21 = 44/21, and SSE = Σe⁰² − (Σe⁰u)²/Σu²
// = 7.3125 − 2.3125²/1.3125 = 68/21. With α fixed σ² = SSE/(3−1) = 34/21,
// and σ_h² = σ²·(1 + (h−1)/4).
func TestSESFixed(t *testing.T) {
	m := &SES{Alpha: 0.5}
	if err := m.Fit([]float64{1, 3, 2}); err != nil {
		t.Fatal(err)
	}
	s2 := 34.0 / 21
	checkPreds(t, m.Forecast(3, 0.95), []float64{44.0 / 21, 44.0 / 21, 44.0 / 21},
		[]float64{z975 * math.Sqrt(s2), z975 * math.Sqrt(s2*1.25), z975 * math.Sqrt(s2*1.5)})
	if m.Smoothing() != 0.5 || !near(m.Level(), 44.0/21, 1e-12) {
		t.Errorf("α %v, level %v", m.Smoothing(), m.Level())
	}
	// A missing value in the middle moves nothing; a trailing one widens
	// the interval as one more step would.
	if err := m.Fit([]float64{math.NaN(), 1, math.NaN(), 3, 2, math.NaN()}); err != nil {
		t.Fatal(err)
	}
	checkPreds(t, m.Forecast(1, 0.95), []float64{44.0 / 21}, []float64{z975 * math.Sqrt(s2*1.25)})
}

// TestThetaFixed adds the drift to TestSESFixed: the least-squares slope
// of 1, 3, 2 is b = 0.5, so step h adds
// (b/2)·[(h−1) + (1 − 0.5³)/0.5] = 0.25·(h−1) + 0.4375.
func TestThetaFixed(t *testing.T) {
	m := &Theta{Alpha: 0.5}
	if err := m.Fit([]float64{1, 3, 2}); err != nil {
		t.Fatal(err)
	}
	s2 := 34.0 / 21
	l := 44.0 / 21
	checkPreds(t, m.Forecast(2, 0.95), []float64{l + 0.4375, l + 0.6875},
		[]float64{z975 * math.Sqrt(s2), z975 * math.Sqrt(s2*1.25)})
}

// TestSESEstimates: a random walk wants α near 1, a noisy flat level a
// small α and its mean as the forecast; Theta on a clean line extends it
// at half the slope plus the lag SES leaves (α near 1: one step's worth).
func TestSESEstimates(t *testing.T) {
	r := rng(2)
	walk := make([]float64, 300)
	flat := make([]float64, 300)
	for i := range walk {
		if i > 0 {
			walk[i] = walk[i-1]
		}
		walk[i] += r.NormFloat64()
		flat[i] = 100 + r.NormFloat64()
	}
	m := &SES{}
	if err := m.Fit(walk); err != nil {
		t.Fatal(err)
	}
	if a := m.Smoothing(); a < 0.8 {
		t.Errorf("random walk: α = %v, want near 1", a)
	}
	if err := m.Fit(flat); err != nil {
		t.Fatal(err)
	}
	if a := m.Smoothing(); a > 0.2 {
		t.Errorf("noisy flat series: α = %v, want small", a)
	}
	if p := m.Forecast(1, 0.95); math.Abs(p[0].Mean-100) > 0.5 || p[0].Upper-p[0].Mean < 1.6 || p[0].Upper-p[0].Mean > 2.4 {
		t.Errorf("noisy flat series: forecast %+v, want 100 ± 1.96", p[0])
	}
}

// TestSESAlphaAtTheBound: on this series the SSE is least at the small
// end of the range (a nearly fixed level), with another minimum near 1; a
// coarse grid finds only the latter.
func TestSESAlphaAtTheBound(t *testing.T) {
	y := []float64{10.47, 9.85, 11.09, 10.79, 8.55, 7.76, 9.11, 9.09, 9.79, 10.29, 9.88, 9.93, 9.52, 8.28}
	m := &SES{}
	if err := m.Fit(y); err != nil {
		t.Fatal(err)
	}
	_, _, got, _ := sesBestStart(y, m.Smoothing())
	for _, a := range []float64{paramLo, 0.01, 0.05, 0.5, 0.9, paramHi} {
		if _, _, sse, _ := sesBestStart(y, a); sse < got-1e-9 {
			t.Errorf("α = %v has SSE %v, less than the estimate's (α = %v, SSE %v)", a, sse, m.Smoothing(), got)
		}
	}
}

func TestSESThetaErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		m    Model
		give []float64
		want error
	}{
		{"ses two values", &SES{}, []float64{1, nan, 2}, ErrTooShort},
		{"ses fixed two values", &SES{Alpha: 0.3}, []float64{1, 2}, ErrTooShort},
		{"ses infinity", &SES{}, []float64{1, 2, inf, 4}, ErrNonFinite},
		{"ses bad alpha", &SES{Alpha: 2}, []float64{1, 2, 3, 4}, nil},
		{"theta two values", &Theta{}, []float64{nan, 1, 2}, ErrTooShort},
		{"theta infinity", &Theta{}, []float64{1, -inf, 2, 3}, ErrNonFinite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Fit(tc.give)
			if err == nil {
				t.Fatalf("Fit(%v) succeeded, want an error", tc.give)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if p := tc.m.Forecast(2, 0.95); p != nil {
				t.Errorf("Forecast after failed Fit = %v", p)
			}
		})
	}
}

package forecast

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// The baseline 7, 10, 13 has mean 10 and sample standard deviation
// √((9+0+9)/2) = 3.
var baseline = []float64{7, 10, 13}

func TestEWMA(t *testing.T) {
	// λ = .5, L = 3: z_t = .5x + .5z, limits 10 ± 9·√(⅓(1 − .25^t)):
	// t=1 ±4.5, t=2 ±5.0312, t=3 ±5.1554, t=4 ±5.1860, t=5 ±5.1945;
	// asymptotically ±9/√3 = ±5.1962.
	opts := EWMAOptions{Lambda: 0.5, L: 3, Baseline: 3}
	nan := math.NaN()
	for _, tc := range []struct {
		name       string
		monitored  []float64
		upper, low []int
	}{
		// z = 10, 10, 14, 16, 17: 4 < 5.1554 at t=3; 6 > 5.1860 at t=4
		// (index 3+3 = 6), 7 > 5.1945 at t=5 (index 7).
		{"shift up", []float64{10, 10, 18, 18, 18}, []int{6, 7}, nil},
		// z₁ = 14.75: 4.75 > 4.5, the exact t=1 limit, though inside the
		// asymptotic 5.196: only the time-varying limit catches it.
		{"early jump caught by exact limit", []float64{19.5}, []int{3}, nil},
		// z₁ = 5.5 sits on the limit (not beyond); z₁ = 5.45 is beyond.
		{"on the lower limit", []float64{1}, nil, nil},
		{"below the lower limit", []float64{0.9}, nil, []int{3}},
		// A NaN is skipped: z and t are unchanged, so the shift signals at
		// the same t, one index later.
		{"missing value skipped", []float64{10, nan, 10, 18, 18, 18}, []int{7, 8}, nil},
		{"flat at the centre", []float64{10, 10, 10, 10, 10, 10, 10, 10}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EWMA(append(slices.Clone(baseline), tc.monitored...), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Upper, tc.upper) || !slices.Equal(got.Lower, tc.low) {
				t.Errorf("signals %+v, want upper %v lower %v", got, tc.upper, tc.low)
			}
		})
	}
}

func TestCUSUM(t *testing.T) {
	// K = .5, H = 2, μ₀ = 10, σ = 3. Monitored from index 3:
	// 13 ×5 (u = 1): C⁺ = .5, 1, 1.5, 2 (not > 2), 2.5 → signal at index 7, reset.
	// 10 (u = 0): both stay 0. 4 (u = −2): C⁻ = 1.5, then 3 → signal at
	// index 10, reset; the last 4 brings C⁻ back to 1.5.
	x := append(slices.Clone(baseline), 13, 13, 13, 13, 13, 10, 4, 4, 4)
	got, err := CUSUM(x, CUSUMOptions{K: 0.5, H: 2, Baseline: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Upper, []int{7}) || !slices.Equal(got.Lower, []int{10}) {
		t.Errorf("signals %+v, want upper [7] lower [10]", got)
	}

	// Reset: a sustained +1σ shift signals every 5 points (C⁺ grows .5 a
	// point and must pass 2), at indexes 7, 12, 17.
	x = append(slices.Clone(baseline), slices.Repeat([]float64{13}, 15)...)
	if got, _ := CUSUM(x, CUSUMOptions{K: 0.5, H: 2, Baseline: 3}); !slices.Equal(got.Upper, []int{7, 12, 17}) {
		t.Errorf("sustained shift: %+v, want upper [7 12 17]", got)
	}

	// Known Target and Sigma instead of a baseline: u = (x − 0)/1.
	got, err = CUSUM([]float64{0, 0, 3, 3}, CUSUMOptions{K: 0.5, H: 4, Sigma: 1})
	if err != nil {
		t.Fatal(err)
	}
	// C⁺ = 0, 0, 2.5, 5 > 4 at index 3.
	if !slices.Equal(got.Upper, []int{3}) || got.Lower != nil {
		t.Errorf("known sigma: %+v, want upper [3]", got)
	}
}

// TestChartsOnNoise: stationary noise gives no signal with the default
// settings, and a +2σ shift injected at index 100 is found soon after.
func TestChartsOnNoise(t *testing.T) {
	r := rng(11)
	x := make([]float64, 160)
	for i := range x {
		x[i] = 20 + r.NormFloat64()
	}
	ew, err := EWMA(x[:100], EWMAOptions{Baseline: 30})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := CUSUM(x[:100], CUSUMOptions{Baseline: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(ew.Upper)+len(ew.Lower)+len(cu.Upper)+len(cu.Lower) != 0 {
		t.Errorf("no shift, yet signals: ewma %+v cusum %+v", ew, cu)
	}
	for i := 100; i < len(x); i++ {
		x[i] += 2
	}
	ew, _ = EWMA(x, EWMAOptions{Baseline: 30})
	cu, _ = CUSUM(x, CUSUMOptions{Baseline: 30})
	for name, s := range map[string]Signals{"ewma": ew, "cusum": cu} {
		// Average run length for a 2σ shift: about 4 (CUSUM k=.5, h=5) and
		// 3.7 (EWMA λ=.2, L=3); 15 is generous.
		if len(s.Upper) == 0 || s.Upper[0] < 100 || s.Upper[0] > 115 || s.Lower != nil {
			t.Errorf("%s: signals %+v, want the first upper in [100, 115]", name, s)
		}
	}
}

func TestChartErrors(t *testing.T) {
	flat := []float64{5, 5, 5, 5, 6}
	for _, tc := range []struct {
		name string
		run  func() error
		want error
	}{
		{"ewma flat baseline", func() error { _, err := EWMA(flat, EWMAOptions{Baseline: 4}); return err }, ErrNoVariation},
		{"cusum flat baseline", func() error { _, err := CUSUM(flat, CUSUMOptions{Baseline: 4}); return err }, ErrNoVariation},
		{"ewma no baseline", func() error { _, err := EWMA(flat, EWMAOptions{}); return err }, ErrTooShort},
		{"cusum baseline past end", func() error { _, err := CUSUM(flat, CUSUMOptions{Baseline: 9}); return err }, nil},
		{"ewma infinity", func() error { _, err := EWMA([]float64{1, 2, math.Inf(1)}, EWMAOptions{Baseline: 2}); return err }, ErrNonFinite},
		{"ewma lambda above 1", func() error { _, err := EWMA(flat, EWMAOptions{Lambda: 1.5, Sigma: 1}); return err }, nil},
		{"cusum negative k", func() error { _, err := CUSUM(flat, CUSUMOptions{K: -1, Sigma: 1}); return err }, nil},
		{"cusum negative sigma", func() error { _, err := CUSUM(flat, CUSUMOptions{Sigma: -1}); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
		})
	}
}

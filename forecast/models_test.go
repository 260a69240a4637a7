package forecast

import (
	"errors"
	"math"
	"testing"
)

func TestNaive(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name       string
		give       []float64
		mean, half []float64
	}{
		{
			// changes 2, −1, 3: σ² = (4+1+9)/3 = 14/3, σ = 2.1602469;
			// half-width z·σ·√h: h=1 4.2339861, h=2 5.9877580.
			name: "last value, sqrt h widening",
			give: []float64{1, 3, 2, 5},
			mean: []float64{5, 5},
			half: []float64{z975 * math.Sqrt(14.0/3), z975 * math.Sqrt(14.0/3*2)},
		},
		{
			// 1 → 5 spans 2 steps: (4/√2)² = 8; 5 → 6: 1. σ² = 9/2.
			name: "interior gap scaled by sqrt span",
			give: []float64{1, nan, 5, 6},
			mean: []float64{6},
			half: []float64{z975 * math.Sqrt(4.5)},
		},
		{
			// Changes 2 and 1 (σ² = 5/2); the last value is 2 steps old at
			// step 1, so the variance is 2σ² = 5.
			name: "trailing gap widens",
			give: []float64{nan, 1, 3, 4, nan},
			mean: []float64{4},
			half: []float64{z975 * math.Sqrt(5)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Naive{}
			if err := m.Fit(tc.give); err != nil {
				t.Fatal(err)
			}
			checkPreds(t, m.Forecast(len(tc.mean), 0.95), tc.mean, tc.half)
		})
	}
}

func TestSeasonalNaive(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name       string
		period     int
		give       []float64
		mean, half []float64
	}{
		{
			// Seasonal differences 3−1, 5−2, 4−3, 6−5 = 2, 3, 1, 1:
			// σ² = (4+9+1+1)/4 = 3.75. Steps 1, 2 use one period back
			// (σ), steps 3, 4 two (σ√2).
			name:   "period 2",
			period: 2,
			give:   []float64{1, 2, 3, 5, 4, 6},
			mean:   []float64{4, 6, 4, 6},
			half:   []float64{z975 * math.Sqrt(3.75), z975 * math.Sqrt(3.75), z975 * math.Sqrt(7.5), z975 * math.Sqrt(7.5)},
		},
		{
			// Season 0: 1 (index 0) → 4 (index 4) spans 2 periods: (3/√2)² = 4.5.
			// Season 1: 2 → 4 → 6, differences 2 and 2: 4 and 4.
			// σ² = (4.5 + 4 + 4)/3 = 12.5/3. Step 1 (index 6, season 0)
			// takes index 4, one period back; step 3 (index 8) two.
			name:   "gap in one season",
			period: 2,
			give:   []float64{1, 2, nan, 4, 4, 6},
			mean:   []float64{4, 6, 4},
			half:   []float64{z975 * math.Sqrt(12.5/3), z975 * math.Sqrt(12.5/3), z975 * math.Sqrt(25.0/3)},
		},
		{
			name:   "period 1 is naive",
			period: 1,
			give:   []float64{1, 3, 2, 5},
			mean:   []float64{5, 5},
			half:   []float64{z975 * math.Sqrt(14.0/3), z975 * math.Sqrt(14.0/3*2)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &SeasonalNaive{Period: tc.period}
			if err := m.Fit(tc.give); err != nil {
				t.Fatal(err)
			}
			checkPreds(t, m.Forecast(len(tc.mean), 0.95), tc.mean, tc.half)
		})
	}
}

func TestLinear(t *testing.T) {
	// y = 1, 2, 2, 4 at x = 0..3: x̄ = 1.5, ȳ = 2.25, Sxx = 5,
	// Sxy = (−1.5)(−1.25) + (−.5)(−.25) + (.5)(−.25) + (1.5)(1.75) = 4.5,
	// slope 0.9, intercept 2.25 − 1.35 = 0.9. Fitted .9, 1.8, 2.7, 3.6,
	// residuals .1, .2, −.7, .4: SSE = .70, s² = .35.
	// x₀ = 4: mean 4.5, se = s·√(1 + 1/4 + 2.5²/5) = √(.35·2.5) = √.875;
	// t(0.975, 2) = 4.3026527 → half-width 4.0247574.
	// x₀ = 5: mean 5.4, se = √(.35·(1.25 + 3.5²/5)) = √(.35·3.7) = √1.295.
	const t2 = 4.302652729911275
	m := &Linear{}
	if err := m.Fit([]float64{1, 2, 2, 4}); err != nil {
		t.Fatal(err)
	}
	if a, b := m.Coefficients(); !near(a, 0.9, 1e-12) || !near(b, 0.9, 1e-12) {
		t.Errorf("coefficients %v, %v; want 0.9, 0.9", a, b)
	}
	checkPreds(t, m.Forecast(2, 0.95), []float64{4.5, 5.4}, []float64{t2 * math.Sqrt(0.875), t2 * math.Sqrt(1.295)})

	t.Run("gap keeps the time index", func(t *testing.T) {
		// y = 2x + 1 at x = 0, 1, 3, 4 (x = 2 missing) plus one off point
		// would bend; an exact line must stay exact: next x = 5 → 11.
		m := &Linear{}
		if err := m.Fit([]float64{1, 3, math.NaN(), 7, 9}); err != nil {
			t.Fatal(err)
		}
		checkPreds(t, m.Forecast(2, 0.95), []float64{11, 13}, []float64{0, 0})
	})
}

func TestHoltFixed(t *testing.T) {
	// α = β = 0.5 (αβ = .25) on 1, 3, 4, 8. Errors are affine in the start
	// (ℓ, b) before index 0: e = e⁰ + ℓu + bv, from the recursion
	// f = ℓ+b, e = y−f, ℓ ← f + .5e, b ← b + .25e:
	//   e⁰ (data, start 0,0):  1, 9/4, 21/16, 225/64
	//   u  (zeros, start 1,0): −1, −1/4, 3/16, 23/64
	//   v  (zeros, start 0,1): −1, −5/4, −17/16, −45/64
	// Normal equations (×4096): Suu = 5025, Suv = 3525, Svv = 17145,
	// S0u = −217, S0v = −31453; det = (5025·17145 − 3525²)/4096² = 1125/256;
	// ℓ = (S0v·Suv − S0u·Svv)/det = −109/75, b = (S0u·Suv − S0v·Suu)/det = 32/15.
	// From that start: f = 0.68, e = 8/25 = .32, ℓ = .84, b = 2.2133…;
	// errors .32, −4/75, −92/75, 112/75; SSE = 96/25 = 3.84; final
	// ℓ = 544/75, b = 34/15, so forecasts 9.52, 884/75, 1054/75.
	// σ² = SSE/(n_e − p − 2) = 3.84/(4 − 0 − 2) = 1.92.
	// Variance factor, β′ = αβ = .25: h=1: 1;
	// h=2: 1 + (.25 + .5·.25·2 + .0625·2·3/6) = 1.5625;
	// h=3: 1 + 2(.25 + .375 + .0625·3·5/6) = 1 + 2·.78125 = 2.5625.
	m := &Holt{Alpha: 0.5, Beta: 0.5}
	if err := m.Fit([]float64{1, 3, 4, 8}); err != nil {
		t.Fatal(err)
	}
	if l, b := m.State(); !near(l, 544.0/75, 1e-12) || !near(b, 34.0/15, 1e-12) {
		t.Errorf("state %v, %v; want 544/75, 34/15", l, b)
	}
	s2 := 1.92
	checkPreds(t, m.Forecast(3, 0.95),
		[]float64{9.52, 884.0 / 75, 1054.0 / 75},
		[]float64{z975 * math.Sqrt(s2), z975 * math.Sqrt(s2*1.5625), z975 * math.Sqrt(s2*2.5625)})
}

func TestHoltWintersRecursion(t *testing.T) {
	// m = 2, α = β = γ = 0.5 on 2, 4, 4, 6, 5, 9.
	// Seasonal start: ā₁ = 3, ā₂ = 5, slope (5−3)/2 = 1, line through ā₁
	// at t = .5: L(t) = 3 + (t − .5). Detrended: t0: 2−2.5 = −.5,
	// t1: 4−3.5 = .5, t2: 4−4.5 = −.5, t3: 6−5.5 = .5 → s = (−.5, .5), sum 0.
	// Heuristic level before index 0: L(−1) = 1.5, trend 1.
	y := []float64{2, 4, 4, 6, 5, 9}
	level, trend, season, ok := hwStart(y, 2)
	if !ok || level != 1.5 || trend != 1 || season[0] != -0.5 || season[1] != 0.5 {
		t.Fatalf("hwStart = %v, %v, %v, %v; want 1.5, 1, [-.5 .5], true", level, trend, season, ok)
	}
	// Recursion from ℓ = 3.5, b = 1 at index 1, over 4, 6, 5, 9
	// (e = y − ℓ − b − s, ℓ ← ℓ+b+.5e, b ← b+.25e, s ← s+.5e):
	// t=2: f = 3.5+1−.5 = 4,   e = 0 → ℓ 4.5, b 1, s0 −.5.
	// t=3: f = 4.5+1+.5 = 6,   e = 0 → ℓ 5.5, b 1, s1 .5.
	// t=4: f = 5.5+1−.5 = 6,   e = −1 → ℓ 6, b .75, s0 −1.
	// t=5: f = 6+.75+.5 = 7.25, e = 1.75 → ℓ 7.625, b 1.1875, s1 1.375.
	// SSE = 1 + 3.0625 = 4.0625 over 4 errors.
	sse, ne, l, b := hwRun(y[2:], 0.5, 0.5, 0.5, 3.5, 1, season)
	if sse != 4.0625 || ne != 4 || l != 7.625 || b != 1.1875 || season[0] != -1 || season[1] != 1.375 {
		t.Errorf("hwRun = %v, %v, %v, %v, season %v; want 4.0625, 4, 7.625, 1.1875, [-1 1.375]", sse, ne, l, b, season)
	}
}

func TestHoltWintersFixed(t *testing.T) {
	// The same series and parameters through Fit: the seasonal start
	// (−.5, .5) as above, then the least-squares start before index 0,
	// from e⁰, u, v as in TestHoltFixed with s ← s + .5e as well:
	//   e⁰: 5/2, 13/8, −15/32, 37/128, −535/512, 3709/2048
	//   u:  −1, −1/4, 11/16, 7/64, 51/256, 79/1024
	//   v:  −1, −5/4, −9/16, −29/64, −65/256, −181/1024
	// giving ℓ = 887027/577442, b = 291089/288721 (exact rationals, worked
	// with fractions), SSE = 1172128/288721, final ℓ = 4408109/577442,
	// b = 342575/288721, s = (−582925, 788869)/577442. Forecasts:
	// 2255167/288721, 3283639/288721, 2940317/288721.
	// σ² = SSE/(6 − 0 − 2). Variance factors, β′ = .25:
	// h=1: 1; h=2 (k=0): 1 + (.25 + .25 + .0625·2·3/6) = 1.5625;
	// h=3 (k=1): 1 + 2(.25 + .375 + .15625) + .5·1·(1 + .5 + .25·2·2) = 3.8125.
	m := &HoltWinters{Period: 2, Alpha: 0.5, Beta: 0.5, Gamma: 0.5}
	if err := m.Fit([]float64{2, 4, 4, 6, 5, 9}); err != nil {
		t.Fatal(err)
	}
	s2 := 1172128.0 / 288721 / 4
	checkPreds(t, m.Forecast(3, 0.95),
		[]float64{2255167.0 / 288721, 3283639.0 / 288721, 2940317.0 / 288721},
		[]float64{z975 * math.Sqrt(s2), z975 * math.Sqrt(s2*1.5625), z975 * math.Sqrt(s2*3.8125)})
}

// TestBestStart checks the least-squares start against its definition:
// no nearby start gives a smaller SSE.
func TestBestStart(t *testing.T) {
	y := trendNoise(rng(7), 40)
	y[5], y[17] = math.NaN(), math.NaN()
	l, b, sse := holtBestStart(y, 0.3, 0.2)
	got, _, _, _ := holtRun(y, 0.3, 0.2, l, b)
	if !near(got, sse, 1e-9) {
		t.Errorf("SSE from the solve %v, from the run %v", sse, got)
	}
	for _, d := range [][2]float64{{0.01, 0}, {-0.01, 0}, {0, 0.01}, {0, -0.01}} {
		if other, _, _, _ := holtRun(y, 0.3, 0.2, l+d[0], b+d[1]); other < got {
			t.Errorf("start %v+%v gives SSE %v < %v", [2]float64{l, b}, d, other, got)
		}
	}
}

// TestVarianceFactors checks the closed forms of FPP3 Table 8.8 against the
// sum they come from: y_{T+h} − ŷ = ε_{T+h} + Σ_{j=1}^{h−1} c_j ε_{T+h−j}
// with c_j = α + β′j (+ γ when m divides j), so σ_h²/σ² = 1 + Σ c_j².
func TestVarianceFactors(t *testing.T) {
	for _, tc := range []struct {
		name               string
		alpha, beta, gamma float64
		m                  int
	}{
		{"typical", 0.3, 0.05, 0.1, 7},
		{"fast", 0.9, 0.5, 0.1, 4},
		{"period 2", 0.5, 0.25, 0.5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for h := 1; h <= 30; h++ {
				aan, aaa := 1.0, 1.0
				for j := 1; j < h; j++ {
					c := tc.alpha + tc.beta*float64(j)
					aan += c * c
					if j%tc.m == 0 {
						c += tc.gamma
					}
					aaa += c * c
				}
				if got := aanVarianceFactor(tc.alpha, tc.beta, float64(h)); !near(got, aan, 1e-12) {
					t.Errorf("A,A,N h=%d: %v, want %v", h, got, aan)
				}
				if got := aaaVarianceFactor(tc.alpha, tc.beta, tc.gamma, h, tc.m); !near(got, aaa, 1e-12) {
					t.Errorf("A,A,A h=%d: %v, want %v", h, got, aaa)
				}
			}
		})
	}
}

func TestExactStructure(t *testing.T) {
	line := make([]float64, 30) // 2t + 1
	for i := range line {
		line[i] = 2*float64(i) + 1
	}
	pattern := []float64{3, -1, 0, -2} // sums to 0
	seasonal := make([]float64, 40)    // 5 + 0.5t + pattern
	for i := range seasonal {
		seasonal[i] = 5 + 0.5*float64(i) + pattern[i%4]
	}
	for _, tc := range []struct {
		name string
		m    Model
		y    []float64
		want func(t int) float64
	}{
		{"linear on a line", &Linear{}, line, func(t int) float64 { return 2*float64(t) + 1 }},
		{"holt on a line", &Holt{}, line, func(t int) float64 { return 2*float64(t) + 1 }},
		{"holt-winters on line plus pattern", &HoltWinters{Period: 4}, seasonal, func(t int) float64 { return 5 + 0.5*float64(t) + pattern[t%4] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.m.Fit(tc.y); err != nil {
				t.Fatal(err)
			}
			for i, p := range tc.m.Forecast(12, 0.95) {
				want := tc.want(len(tc.y) + i)
				if !near(p.Mean, want, 1e-9) || !near(p.Upper, want, 1e-9) || !near(p.Lower, want, 1e-9) {
					t.Errorf("step %d: %+v, want exactly %v", i+1, p, want)
				}
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		m    Model
		give []float64
		want error // nil: any error
	}{
		{"naive empty", &Naive{}, nil, ErrTooShort},
		{"naive one value", &Naive{}, []float64{1, nan}, ErrTooShort},
		{"naive infinity", &Naive{}, []float64{1, inf, 2}, ErrNonFinite},
		{"snaive bad period", &SeasonalNaive{}, []float64{1, 2, 3}, nil},
		{"snaive unobserved season", &SeasonalNaive{Period: 2}, []float64{1, nan, 2, nan}, ErrTooShort},
		{"linear two values", &Linear{}, []float64{1, nan, 2}, ErrTooShort},
		{"linear overflow", &Linear{}, []float64{-1.7e308, 1.7e308, -1.7e308}, ErrOverflow},
		{"holt estimating on three", &Holt{}, []float64{1, 2, 3, nan}, ErrTooShort},
		{"holt bad alpha", &Holt{Alpha: 1.5}, []float64{1, 2, 3, 4, 5}, nil},
		{"holt all missing", &Holt{}, []float64{nan, nan, nan}, ErrTooShort},
		{"holt-winters period 1", &HoltWinters{Period: 1}, []float64{1, 2, 3, 4, 5, 6}, nil},
		{"holt-winters one period", &HoltWinters{Period: 4}, []float64{1, 2, 3, 4, 5, 6, 7}, ErrTooShort},
		{"holt-winters empty period", &HoltWinters{Period: 2}, []float64{1, 2, nan, nan, 3, 4, 5, 6}, ErrTooShort},
		{"holt-winters fixed alpha leaves no gamma", &HoltWinters{Period: 2, Alpha: 1}, []float64{1, 2, 3, 4, 5, 6, 7, 8}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Fit(tc.give)
			if err == nil {
				t.Fatalf("Fit(%v) succeeded, want an error", tc.give)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if p := tc.m.Forecast(3, 0.95); p != nil {
				t.Errorf("Forecast after failed Fit = %v, want nil", p)
			}
		})
	}
}

func TestForecastArguments(t *testing.T) {
	m := &Naive{}
	if p := m.Forecast(3, 0.95); p != nil {
		t.Errorf("unfitted Forecast = %v, want nil", p)
	}
	if err := m.Fit([]float64{1, 2, 4}); err != nil {
		t.Fatal(err)
	}
	if p := m.Forecast(0, 0.95); p != nil {
		t.Errorf("Forecast(0) = %v, want nil", p)
	}
	for _, level := range []float64{0, 1, 95, -0.5, math.NaN()} {
		p := m.Forecast(1, level)
		if len(p) != 1 || p[0].Mean != 4 || !math.IsNaN(p[0].Lower) || !math.IsNaN(p[0].Upper) {
			t.Errorf("level %v: %+v, want mean 4 and NaN bounds", level, p)
		}
	}
}

// TestSmoothingEstimates checks that estimation recovers what the data
// say: a random walk wants α near 1, a noisy flat series a small α.
func TestSmoothingEstimates(t *testing.T) {
	r := rng(1)
	walk := make([]float64, 300)
	flat := make([]float64, 300)
	for i := range walk {
		if i > 0 {
			walk[i] = walk[i-1]
		}
		walk[i] += r.NormFloat64()
		flat[i] = 100 + r.NormFloat64()
	}
	h := &Holt{Beta: 0.01}
	if err := h.Fit(walk); err != nil {
		t.Fatal(err)
	}
	if a, _ := h.Smoothing(); a < 0.8 {
		t.Errorf("random walk: α = %v, want near 1", a)
	}
	if err := h.Fit(flat); err != nil {
		t.Fatal(err)
	}
	if a, _ := h.Smoothing(); a > 0.2 {
		t.Errorf("noisy flat series: α = %v, want small", a)
	}
	if s := h.Sigma(); s < 0.85 || s > 1.15 {
		t.Errorf("noisy flat series: σ = %v, want near 1", s)
	}
}

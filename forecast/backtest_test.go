package forecast

import (
	"errors"
	"math"
	"testing"
)

func TestMASE(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name                    string
		actual, forecast, train []float64
		m                       int
		want                    float64
	}{
		// train 1, 2, 4, 7: one-step changes 1, 2, 3 → scale 2.
		// errors |8−7|, |10−11| → MAE 1 → 0.5.
		{"one-step scale", []float64{8, 10}, []float64{7, 11}, []float64{1, 2, 4, 7}, 1, 0.5},
		{"m 0 means 1", []float64{8, 10}, []float64{7, 11}, []float64{1, 2, 4, 7}, 0, 0.5},
		// m = 2: differences 4−1 = 3, 7−2 = 5 → scale 4 → 1/4.
		{"seasonal scale", []float64{8, 10}, []float64{7, 11}, []float64{1, 2, 4, 7}, 2, 0.25},
		// train 1, 2, NaN, 7, 9: the changes touching NaN are dropped,
		// leaving 1 and 2 → scale 1.5; only the pair (12, 9) is scored:
		// MAE 3 → 2.
		{"missing values skipped", []float64{nan, 12, 5}, []float64{1, 9, nan}, []float64{1, 2, nan, 7, 9}, 1, 2},
		// Extra forecast steps beyond the actuals are ignored.
		{"unequal lengths", []float64{8}, []float64{7, 100}, []float64{1, 2, 4, 7}, 1, 0.5},
		{"flat train, error", []float64{5}, []float64{4}, []float64{3, 3, 3}, 1, inf},
		{"flat train, exact", []float64{3}, []float64{3}, []float64{3, 3, 3}, 1, nan},
		{"nothing to scale by", []float64{8}, []float64{7}, []float64{1}, 1, nan},
		{"nothing to score", nil, nil, []float64{1, 2, 3}, 1, nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MASE(tc.actual, tc.forecast, tc.train, tc.m); !near(got, tc.want, 1e-12) {
				t.Errorf("MASE = %v, want %v", got, tc.want)
			}
		})
	}
}

func candidates(period int) []Model {
	ms := []Model{&Naive{}, &Linear{}, &Holt{}}
	if period > 1 {
		ms = append(ms, &SeasonalNaive{Period: period}, &HoltWinters{Period: period})
	}
	return ms
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		y       []float64
		opts    BacktestOptions
		want    map[string]bool // acceptable winners
		maxMASE float64
	}{
		{
			name:    "trend with noise",
			y:       trendNoise(rng(2), 120),
			opts:    BacktestOptions{Horizon: 7, Step: 3, MinTrain: 60},
			want:    map[string]bool{"linear": true, "holt": true},
			maxMASE: 1,
		},
		{
			name:    "weekly seasonality",
			y:       weekly(rng(3), 140, 1),
			opts:    BacktestOptions{Horizon: 7, Step: 2, MinTrain: 70, Period: 7},
			want:    map[string]bool{"holt-winters(7)": true},
			maxMASE: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			best, rep, err := Select(tc.y, candidates(tc.opts.Period), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range rep.Scores {
				t.Logf("%-16s MASE %.3f MAE %.3f coverage %.3f actuals %d err %v", s.Model, s.MASE, s.MAE, s.Coverage, s.Actuals, s.Err)
			}
			if !tc.want[best.Name()] {
				t.Errorf("best = %s, want one of %v", best.Name(), tc.want)
			}
			if rep.Scores[rep.Best].Model != best.Name() {
				t.Errorf("report best %d is %s, returned %s", rep.Best, rep.Scores[rep.Best].Model, best.Name())
			}
			if s := rep.Scores[rep.Best]; !(s.MASE < tc.maxMASE) {
				t.Errorf("best MASE %v, want < %v", s.MASE, tc.maxMASE)
			}
			if s := rep.Scores[rep.Best]; s.Coverage < 0.8 {
				t.Errorf("best coverage %v, want near 0.95", s.Coverage)
			}
			// The returned model is refitted on the whole series.
			if p := best.Forecast(1, 0.95); len(p) != 1 {
				t.Errorf("best model not fitted: %v", p)
			}
		})
	}
}

func TestSelectOrigins(t *testing.T) {
	y := trendNoise(rng(4), 20)
	_, rep, err := Select(y, []Model{&Naive{}}, BacktestOptions{Horizon: 3, Step: 2, MinTrain: 10, MaxFolds: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Origins 10, 12, 14, 16 (16+3 ≤ 20; 18+3 > 20); the latest three kept.
	want := []int{12, 14, 16}
	if len(rep.Origins) != len(want) || rep.Origins[0] != 12 || rep.Origins[2] != 16 {
		t.Errorf("origins %v, want %v", rep.Origins, want)
	}
	if rep.Scores[0].Actuals != 9 {
		t.Errorf("actuals %d, want 3 origins × 3 steps", rep.Scores[0].Actuals)
	}
}

func TestSelectTies(t *testing.T) {
	// A flat series: MASE is undefined everywhere; MAE is 0 for every
	// candidate, so candidate order decides.
	y := make([]float64, 30)
	for i := range y {
		y[i] = 4
	}
	best, rep, err := Select(y, []Model{&Linear{}, &Naive{}}, BacktestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if best.Name() != "linear" || !math.IsNaN(rep.Scores[0].MASE) || rep.Scores[0].MAE != 0 {
		t.Errorf("best %s, scores %+v", best.Name(), rep.Scores)
	}
}

func TestSelectErrors(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		y    []float64
		ms   []Model
		opts BacktestOptions
		want error
	}{
		{"no candidates", []float64{1, 2, 3, 4}, nil, BacktestOptions{}, nil},
		{"infinity", []float64{1, math.Inf(-1), 3, 4}, candidates(1), BacktestOptions{}, ErrNonFinite},
		{"empty", nil, candidates(1), BacktestOptions{}, ErrTooShort},
		{"no origin", []float64{1, 2, 3, 4}, candidates(1), BacktestOptions{MinTrain: 3, Horizon: 2}, ErrTooShort},
		{"bad level", []float64{1, 2, 3, 4}, candidates(1), BacktestOptions{Level: 95}, nil},
		{"negative step", []float64{1, 2, 3, 4}, candidates(1), BacktestOptions{Step: -1}, nil},
		{"all missing", []float64{nan, nan, nan, nan, nan, nan}, candidates(1), BacktestOptions{}, ErrTooShort},
		{"no candidate fits", []float64{1, 2, 3, 4, 5, 6}, []Model{&HoltWinters{Period: 7}}, BacktestOptions{}, ErrTooShort},
		{"actuals all missing", []float64{1, 2, 3, 4, nan, nan}, []Model{&Naive{}}, BacktestOptions{MinTrain: 4, Horizon: 2}, ErrTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Select(tc.y, tc.ms, tc.opts)
			if err == nil {
				t.Fatal("Select succeeded, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
		})
	}
}

// TestCoverage checks that 95% intervals hold about 95% of new values when
// the data follow the model: 400 replications, so the share has a standard
// error of about 1.1%; the band allows for that and for the small
// under-coverage of plugged-in parameter estimates.
func TestCoverage(t *testing.T) {
	const reps = 400
	for _, tc := range []struct {
		name   string
		model  func() Model
		series func(r interface{ NormFloat64() float64 }, n int) []float64
		n      int
		lo, hi float64
	}{
		{"linear on line plus noise", func() Model { return &Linear{} }, func(r interface{ NormFloat64() float64 }, n int) []float64 {
			y := make([]float64, n)
			for i := range y {
				y[i] = 3 + 0.2*float64(i) + 2*r.NormFloat64()
			}
			return y
		}, 30, 0.92, 0.98},
		{"naive on random walk", func() Model { return &Naive{} }, func(r interface{ NormFloat64() float64 }, n int) []float64 {
			y := make([]float64, n)
			for i := range y {
				if i > 0 {
					y[i] = y[i-1]
				}
				y[i] += r.NormFloat64()
			}
			return y
		}, 60, 0.92, 0.98},
		{"holt on local linear trend", func() Model { return &Holt{} }, func(r interface{ NormFloat64() float64 }, n int) []float64 {
			// ETS(A,A,N) with α = .5, β′ = .05: the model's own process.
			y := make([]float64, n)
			l, b := 10.0, 0.3
			for i := range y {
				e := r.NormFloat64()
				y[i] = l + b + e
				l, b = l+b+0.5*e, b+0.05*e
			}
			return y
		}, 80, 0.90, 0.98},
		{"holt-winters on weekly", func() Model { return &HoltWinters{Period: 7} }, func(r interface{ NormFloat64() float64 }, n int) []float64 {
			return weeklyFrom(r, n)
		}, 84, 0.90, 0.98},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng(5)
			inside := 0
			for range reps {
				y := tc.series(r, tc.n+1)
				m := tc.model()
				if err := m.Fit(y[:tc.n]); err != nil {
					t.Fatal(err)
				}
				p := m.Forecast(1, 0.95)[0]
				if y[tc.n] >= p.Lower && y[tc.n] <= p.Upper {
					inside++
				}
			}
			if got := float64(inside) / reps; got < tc.lo || got > tc.hi {
				t.Errorf("coverage %.3f, want in [%v, %v]", got, tc.lo, tc.hi)
			} else {
				t.Logf("coverage %.3f", got)
			}
		})
	}
}

func weeklyFrom(r interface{ NormFloat64() float64 }, n int) []float64 {
	pattern := []float64{8, 5, 2, 0, -3, -6, -6}
	y := make([]float64, n)
	for t := range y {
		y[t] = 50 + 0.2*float64(t) + pattern[t%7] + r.NormFloat64()
	}
	return y
}

// TestAccuracy checks MASE < 1 against the naive scale out of sample.
func TestAccuracy(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Model
		y    []float64
		per  int
	}{
		{"linear on trend", &Linear{}, trendNoise(rng(8), 110), 1},
		{"holt on trend", &Holt{}, trendNoise(rng(8), 110), 1},
		{"holt-winters on weekly, naive scale", &HoltWinters{Period: 7}, weekly(rng(9), 126, 1), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.y) - 14
			if err := tc.m.Fit(tc.y[:n]); err != nil {
				t.Fatal(err)
			}
			preds := tc.m.Forecast(14, 0.95)
			mean := make([]float64, len(preds))
			for i, p := range preds {
				mean[i] = p.Mean
			}
			got := MASE(tc.y[n:], mean, tc.y[:n], tc.per)
			if !(got < 1) {
				t.Errorf("MASE %v, want < 1", got)
			}
			t.Logf("MASE %.3f", got)
		})
	}
}

package forecast

import (
	"fmt"
	"math"
)

// HoltWinters is the additive Holt-Winters method, exponential smoothing
// with additive trend and additive seasonality of Period m (FPP3 §8.3), in
// error-correction form: with e_t = y_t − (ℓ_{t−1} + b_{t−1} + s_{t−m}),
//
//	ℓ_t = ℓ_{t−1} + b_{t−1} + α·e_t
//	b_t = b_{t−1} + α·β·e_t      (β is FPP3's β*)
//	s_t = s_{t−m} + γ·e_t
//
// and the h-step forecast ℓ_T + h·b_T + s_{T+h−m(k+1)}, k = ⌊(h−1)/m⌋.
//
// Seasonal start (a heuristic in the spirit of classical decomposition):
// with ā₁, ā₂ the means of the first two periods, the line through ā₁ at
// the centre of the first period with slope (ā₂ − ā₁)/m is L(t); each
// seasonal start is the mean over both periods of y − L at that season,
// centred to sum to zero. The starting level and trend are then the
// least-squares best for the parameters (start.go), as for Holt. A series
// that is exactly line plus a zero-sum pattern fits with no error.
//
// Parameters left at 0 are estimated like Holt's, over [1e-4, 1−1e-4] with
// γ ≤ 1 − α (the usual ETS region, FPP3 §8.6) while estimating. Intervals use
// the analytic ETS(A,A,A) variance (FPP3 Table 8.8; no simulation, so no
// seed):
//
//	σ_h² = σ²·[1 + (h−1)(α² + αβ′h + β′²h(2h−1)/6) + γk(2α + γ + β′m(k+1))],
//
// with β′ = αβ and σ² = SSE/(n_e − p − 2) as for Holt. It needs two full
// periods with an observation in each, and p+3 observations.
type HoltWinters struct {
	Period int     // season length m ≥ 2
	Alpha  float64 // level smoothing in (0, 1]; 0 = estimate
	Beta   float64 // trend smoothing in (0, 1]; 0 = estimate
	Gamma  float64 // seasonal smoothing in (0, 1]; 0 = estimate

	alpha, beta, gamma float64
	level, trend       float64
	season             []float64 // latest seasonal state, by index mod Period
	n                  int       // length of the trimmed fitted series
	sigma              float64
	gap                int
	fitted             bool
}

// Name returns "holt-winters(m)".
func (m *HoltWinters) Name() string { return fmt.Sprintf("holt-winters(%d)", m.Period) }

// Smoothing returns the smoothing parameters in use: fixed or estimated.
func (m *HoltWinters) Smoothing() (alpha, beta, gamma float64) { return m.alpha, m.beta, m.gamma }

// Sigma returns the residual standard deviation σ.
func (m *HoltWinters) Sigma() float64 { return m.sigma }

// hwStart computes the seasonal starting states (for indexes 0..m−1, used
// as s_{t−m} by the first period) and a heuristic level and trend before
// index 0, from the first two periods of y.
func hwStart(y []float64, m int) (level, trend float64, season []float64, ok bool) {
	mean := func(part []float64) (float64, bool) {
		s, n := 0.0, 0
		for _, v := range part {
			if !math.IsNaN(v) {
				s += v
				n++
			}
		}
		return s / float64(n), n > 0
	}
	a1, ok1 := mean(y[:m])
	a2, ok2 := mean(y[m : 2*m])
	if !ok1 || !ok2 {
		return 0, 0, nil, false
	}
	trend = (a2 - a1) / float64(m)
	centre := float64(m-1) / 2
	line := func(t int) float64 { return a1 + trend*(float64(t)-centre) }
	season = make([]float64, m)
	var total float64
	for s := range season {
		sum, n := 0.0, 0
		for _, t := range []int{s, s + m} {
			if !math.IsNaN(y[t]) {
				sum += y[t] - line(t)
				n++
			}
		}
		if n > 0 {
			season[s] = sum / float64(n)
		}
		total += season[s]
	}
	for s := range season {
		season[s] -= total / float64(m)
	}
	return line(-1), trend, season, true
}

// hwBestStart returns the least-squares level and trend before index 0 for
// the parameters and seasonal start (see start.go) and their SSE, falling
// back to the heuristic ones. work must hold 3m floats.
func hwBestStart(y []float64, alpha, beta, gamma float64, season0 []float64, level, trend float64, work []float64) (float64, float64, float64) {
	m := len(season0)
	ab := alpha * beta
	s0, su, sv := work[:m], work[m:2*m], work[2*m:3*m]
	copy(s0, season0)
	clear(su)
	clear(sv)
	var l0, b0, lu, bu, lv, bv float64 // data, unit level, unit trend
	lu, bv = 1, 1
	var sums startSums
	for t, v := range y {
		k := t % m
		f0, fu, fv := l0+b0, lu+bu, lv+bv
		if math.IsNaN(v) {
			l0, lu, lv = f0, fu, fv
			continue
		}
		e0, eu, ev := v-f0-s0[k], -fu-su[k], -fv-sv[k]
		l0, b0, s0[k] = f0+alpha*e0, b0+ab*e0, s0[k]+gamma*e0
		lu, bu, su[k] = fu+alpha*eu, bu+ab*eu, su[k]+gamma*eu
		lv, bv, sv[k] = fv+alpha*ev, bv+ab*ev, sv[k]+gamma*ev
		sums.add(e0, eu, ev)
	}
	if l, b, sse, ok := sums.solve(); ok {
		return l, b, sse
	}
	copy(s0, season0)
	sse, _, _, _ := hwRun(y, alpha, beta, gamma, level, trend, s0)
	return level, trend, sse
}

// hwRun runs the recursion over y from the level and trend before index 0;
// season holds s_{t−m} for the first period and is updated in place.
func hwRun(y []float64, alpha, beta, gamma, level, trend float64, season []float64) (sse float64, ne int, lvl, trd float64) {
	m := len(season)
	for t, v := range y {
		k := t % m
		f := level + trend
		if math.IsNaN(v) {
			level = f
			continue
		}
		e := v - f - season[k]
		level = f + alpha*e
		trend += alpha * beta * e
		season[k] += gamma * e
		sse += e * e
		ne++
	}
	return sse, ne, level, trend
}

// Fit implements Model.
func (m *HoltWinters) Fit(y []float64) error {
	m.fitted = false
	per := m.Period
	if per < 2 {
		return fmt.Errorf("holt-winters: Period must be at least 2, got %d", per)
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"Alpha", m.Alpha}, {"Beta", m.Beta}, {"Gamma", m.Gamma}} {
		if err := validSmoothing("holt-winters: "+c.name, c.v); err != nil {
			return err
		}
	}
	if err := checkFinite(y); err != nil {
		return fmt.Errorf("holt-winters: %w", err)
	}
	y = trimLeading(y)
	if len(y) < 2*per {
		return fmt.Errorf("holt-winters: %w: need two periods (%d values) after leading NaNs, have %d", ErrTooShort, 2*per, len(y))
	}
	level0, trend0, season0, ok := hwStart(y, per)
	if !ok {
		return fmt.Errorf("holt-winters: %w: a period of the first two has no observation", ErrTooShort)
	}
	p := 0
	for _, v := range []float64{m.Alpha, m.Beta, m.Gamma} {
		if v == 0 {
			p++
		}
	}
	if n := countObserved(y); n < p+3 {
		return fmt.Errorf("holt-winters: %w: need %d observed values, have %d", ErrTooShort, p+3, n)
	}
	work := make([]float64, 3*per)
	estimating := m.Alpha == 0 || m.Gamma == 0
	params, best := fitParams([]float64{m.Alpha, m.Beta, m.Gamma}, func(q []float64) float64 {
		if estimating && q[2] > 1-q[0] {
			return math.Inf(1)
		}
		_, _, sse := hwBestStart(y, q[0], q[1], q[2], season0, level0, trend0, work)
		return sse
	})
	if estimating && params[2] > 1-params[0] {
		return fmt.Errorf("holt-winters: fixed Alpha=%v and Gamma=%v leave no admissible estimate (need γ ≤ 1−α)", m.Alpha, m.Gamma)
	}
	if math.IsInf(best, 1) {
		return fmt.Errorf("holt-winters: %w in squared errors", ErrOverflow)
	}
	alpha, beta, gamma := params[0], params[1], params[2]
	lstart, bstart, _ := hwBestStart(y, alpha, beta, gamma, season0, level0, trend0, work)
	season := append([]float64(nil), season0...)
	sse, ne, level, trend := hwRun(y, alpha, beta, gamma, lstart, bstart, season)
	// The starting level and trend are estimated too, hence p+2.
	sigma := math.Sqrt(sse / float64(ne-p-2))
	if !finite(level, trend, sigma) {
		return fmt.Errorf("holt-winters: %w in smoothing", ErrOverflow)
	}
	for _, s := range season {
		if !finite(s) {
			return fmt.Errorf("holt-winters: %w in seasonal state", ErrOverflow)
		}
	}
	m.alpha, m.beta, m.gamma = params[0], params[1], params[2]
	m.level, m.trend, m.season, m.sigma = level, trend, season, sigma
	m.n, m.gap, m.fitted = len(y), trailingGap(y), true
	return nil
}

// Forecast implements Model.
func (m *HoltWinters) Forecast(h int, level float64) []Prediction {
	if !m.fitted || h < 1 {
		return nil
	}
	q := levelQuantile(level)
	per := len(m.season)
	out := make([]Prediction, h)
	for i := range out {
		steps := i + 1
		mean := m.level + float64(steps)*m.trend + m.season[(m.n-1+steps)%per]
		v := aaaVarianceFactor(m.alpha, m.alpha*m.beta, m.gamma, steps+m.gap, per)
		out[i] = interval(mean, m.sigma*math.Sqrt(v), q)
	}
	return out
}

// aaaVarianceFactor is σ_h²/σ² for ETS(A,A,A), β′ in state-space form.
func aaaVarianceFactor(alpha, beta, gamma float64, h, m int) float64 {
	k := float64((h - 1) / m)
	return aanVarianceFactor(alpha, beta, float64(h)) + gamma*k*(2*alpha+gamma+beta*float64(m)*(k+1))
}

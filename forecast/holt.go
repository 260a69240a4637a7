package forecast

import (
	"fmt"
	"math"
)

// Holt is Holt's linear method, exponential smoothing with an additive trend
// (FPP3 §8.2), in error-correction form: with the one-step error
// e_t = y_t − (ℓ_{t−1} + b_{t−1}),
//
//	ℓ_t = ℓ_{t−1} + b_{t−1} + α·e_t
//	b_t = b_{t−1} + α·β·e_t      (β is FPP3's β*, the trend smoothing)
//
// and the h-step forecast ℓ_T + h·b_T.
//
// The starting level and trend (before the first observation) are the
// least-squares best for the smoothing parameters (start.go), so a straight
// line fits exactly. Parameters left at 0 are estimated by
// minimising the sum of squared one-step errors over [1e-4, 1−1e-4] (grid,
// then Nelder–Mead: see minimize).
//
// Intervals use the ETS(A,A,N) variance (FPP3 Table 8.8)
//
//	σ_h² = σ²·[1 + (h−1)·(α² + αβ′h + β′²h(2h−1)/6)],  β′ = αβ,
//
// with σ² = SSE/(n_e − p − 2): n_e one-step errors (one per observation),
// p estimated smoothing parameters and the two starting states (the
// degrees-of-freedom correction of R's forecast::ets). It needs p+3
// observations.
type Holt struct {
	Alpha float64 // level smoothing in (0, 1]; 0 = estimate
	Beta  float64 // trend smoothing in (0, 1]; 0 = estimate

	alpha, beta  float64
	level, trend float64
	sigma        float64
	gap          int
	fitted       bool
}

// Name returns "holt".
func (*Holt) Name() string { return "holt" }

// Smoothing returns the smoothing parameters in use: fixed or estimated.
func (m *Holt) Smoothing() (alpha, beta float64) { return m.alpha, m.beta }

// State returns the level and trend at the end of the fitted series.
func (m *Holt) State() (level, trend float64) { return m.level, m.trend }

// Sigma returns the residual standard deviation σ.
func (m *Holt) Sigma() float64 { return m.sigma }

// holtStart is the fallback start when least squares cannot identify one:
// the least-squares line through the first ten observations of y (which
// starts with one), the heuristic of Hyndman, Koehler, Snyder & Grose
// (2002), as the state before index 0.
func holtStart(y []float64) (level, trend float64) {
	const first = 10
	var xs, ys [first]float64
	n := 0
	for i, v := range y {
		if n == first {
			break
		}
		if !math.IsNaN(v) {
			xs[n], ys[n] = float64(i), v
			n++
		}
	}
	var xbar, ybar float64
	for i := range n {
		xbar += xs[i]
		ybar += ys[i]
	}
	xbar /= float64(n)
	ybar /= float64(n)
	var sxx, sxy float64
	for i := range n {
		sxx += (xs[i] - xbar) * (xs[i] - xbar)
		sxy += (xs[i] - xbar) * (ys[i] - ybar)
	}
	trend = sxy / sxx
	return ybar - trend*(xbar+1), trend
}

// holtBestStart returns the least-squares start for alpha, beta (see
// start.go) and its SSE, falling back to holtStart.
func holtBestStart(y []float64, alpha, beta float64) (level, trend, sse float64) {
	ab := alpha * beta
	var l0, b0, lu, bu, lv, bv float64 // data, unit level, unit trend
	lu, bv = 1, 1
	var s startSums
	for _, v := range y {
		f0, fu, fv := l0+b0, lu+bu, lv+bv
		if math.IsNaN(v) {
			l0, lu, lv = f0, fu, fv
			continue
		}
		e0, eu, ev := v-f0, -fu, -fv
		l0, b0 = f0+alpha*e0, b0+ab*e0
		lu, bu = fu+alpha*eu, bu+ab*eu
		lv, bv = fv+alpha*ev, bv+ab*ev
		s.add(e0, eu, ev)
	}
	if level, trend, sse, ok := s.solve(); ok {
		return level, trend, sse
	}
	level, trend = holtStart(y)
	sse, _, _, _ = holtRun(y, alpha, beta, level, trend)
	return level, trend, sse
}

// holtRun runs the recursion on y from the state (level, trend) before
// y[0] and returns the SSE, the number of one-step errors and the final
// state.
func holtRun(y []float64, alpha, beta, level, trend float64) (sse float64, ne int, l, b float64) {
	for _, v := range y {
		f := level + trend
		if math.IsNaN(v) {
			level = f
			continue
		}
		e := v - f
		level = f + alpha*e
		trend += alpha * beta * e
		sse += e * e
		ne++
	}
	return sse, ne, level, trend
}

// Fit implements Model.
func (m *Holt) Fit(y []float64) error {
	m.fitted = false
	if err := validSmoothing("holt: Alpha", m.Alpha); err != nil {
		return err
	}
	if err := validSmoothing("holt: Beta", m.Beta); err != nil {
		return err
	}
	if err := checkFinite(y); err != nil {
		return fmt.Errorf("holt: %w", err)
	}
	p := 0
	for _, v := range []float64{m.Alpha, m.Beta} {
		if v == 0 {
			p++
		}
	}
	y = trimLeading(y)
	if n := countObserved(y); n < p+3 {
		return fmt.Errorf("holt: %w: need %d observed values, have %d", ErrTooShort, p+3, n)
	}
	params, best := fitParams([]float64{m.Alpha, m.Beta}, func(q []float64) float64 {
		_, _, sse := holtBestStart(y, q[0], q[1])
		return sse
	})
	if math.IsInf(best, 1) {
		return fmt.Errorf("holt: %w in squared errors", ErrOverflow)
	}
	alpha, beta := params[0], params[1]
	level0, trend0, _ := holtBestStart(y, alpha, beta)
	sse, ne, level, trend := holtRun(y, alpha, beta, level0, trend0)
	// The two starting states are estimated too, hence p+2.
	sigma := math.Sqrt(sse / float64(ne-p-2))
	if !finite(level, trend, sigma) {
		return fmt.Errorf("holt: %w in smoothing", ErrOverflow)
	}
	m.alpha, m.beta, m.level, m.trend, m.sigma = alpha, beta, level, trend, sigma
	m.gap, m.fitted = trailingGap(y), true
	return nil
}

// Forecast implements Model.
func (m *Holt) Forecast(h int, level float64) []Prediction {
	if !m.fitted || h < 1 {
		return nil
	}
	q := levelQuantile(level)
	out := make([]Prediction, h)
	for i := range out {
		steps := float64(i + 1)
		out[i] = interval(m.level+steps*m.trend, m.sigma*math.Sqrt(aanVarianceFactor(m.alpha, m.alpha*m.beta, float64(i+1+m.gap))), q)
	}
	return out
}

// aanVarianceFactor is σ_h²/σ² for ETS(A,A,N), β′ in state-space form.
func aanVarianceFactor(alpha, beta, h float64) float64 {
	return 1 + (h-1)*(alpha*alpha+alpha*beta*h+beta*beta*h*(2*h-1)/6)
}

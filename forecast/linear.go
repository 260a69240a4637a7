package forecast

import (
	"fmt"
	"math"
)

// Linear fits a straight line to the series by ordinary least squares on the
// time index 0, 1, …, n−1 (FPP3 §7.1), and extends it.
//
// The interval at x₀ = n−1+h is the textbook OLS prediction interval
//
//	ŷ ± t(n−2) · s · √(1 + 1/n + (x₀ − x̄)² / Sxx),
//
// with s² = SSE/(n−2) the residual variance, x̄ and Sxx the mean and sum of
// squared deviations of the observed time indexes, and t(n−2) Student's t
// quantile, since s is estimated from few points on short series. It needs
// three observations.
type Linear struct {
	intercept, slope float64
	xbar, sxx, s     float64
	nObs, n          int
	fitted           bool
}

// Name returns "linear".
func (*Linear) Name() string { return "linear" }

// Coefficients returns the fitted intercept (at index 0) and slope per step.
func (m *Linear) Coefficients() (intercept, slope float64) { return m.intercept, m.slope }

// Fit implements Model.
func (m *Linear) Fit(y []float64) error {
	m.fitted = false
	if err := checkFinite(y); err != nil {
		return fmt.Errorf("linear: %w", err)
	}
	n := countObserved(y)
	if n < 3 {
		return fmt.Errorf("linear: %w: need 3 observed values, have %d", ErrTooShort, n)
	}
	// Centred sums: stable when the level is large against the variation.
	var xbar, ybar float64
	for i, v := range y {
		if !math.IsNaN(v) {
			xbar += float64(i)
			ybar += v
		}
	}
	xbar /= float64(n)
	ybar /= float64(n)
	var sxx, sxy float64
	for i, v := range y {
		if !math.IsNaN(v) {
			dx := float64(i) - xbar
			sxx += dx * dx
			sxy += dx * (v - ybar)
		}
	}
	slope := sxy / sxx
	intercept := ybar - slope*xbar
	var sse float64
	for i, v := range y {
		if !math.IsNaN(v) {
			e := v - intercept - slope*float64(i)
			sse += e * e
		}
	}
	s := math.Sqrt(sse / float64(n-2))
	if !finite(slope, intercept, s) {
		return fmt.Errorf("linear: %w in regression", ErrOverflow)
	}
	*m = Linear{intercept: intercept, slope: slope, xbar: xbar, sxx: sxx, s: s, nObs: n, n: len(y), fitted: true}
	return nil
}

// Forecast implements Model.
func (m *Linear) Forecast(h int, level float64) []Prediction {
	if !m.fitted || h < 1 {
		return nil
	}
	q := tLevelQuantile(level, float64(m.nObs-2))
	out := make([]Prediction, h)
	for i := range out {
		x0 := float64(m.n - 1 + i + 1)
		dx := x0 - m.xbar
		se := m.s * math.Sqrt(1+1/float64(m.nObs)+dx*dx/m.sxx)
		out[i] = interval(m.intercept+m.slope*x0, se, q)
	}
	return out
}

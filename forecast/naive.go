package forecast

import (
	"fmt"
	"math"
)

// Naive forecasts every step with the last observed value (a random walk,
// FPP3 §5.2). It is the baseline every other model must beat.
//
// σ is the root mean square of the one-step changes (with a gap of j steps,
// the change divided by √j), and the h-step interval is ŷ ± z·σ·√h (FPP3
// Table 5.2). It needs two observations.
type Naive struct {
	last   float64
	gap    int
	sigma  float64
	fitted bool
}

// Name returns "naive".
func (*Naive) Name() string { return "naive" }

// Fit implements Model.
func (m *Naive) Fit(y []float64) error {
	m.fitted = false
	if err := checkFinite(y); err != nil {
		return fmt.Errorf("naive: %w", err)
	}
	prev, n, ss := -1, 0, 0.0
	for i, v := range y {
		if math.IsNaN(v) {
			continue
		}
		if prev >= 0 {
			d := v - y[prev]
			ss += d * d / float64(i-prev)
			n++
		}
		prev = i
	}
	if n < 1 {
		return fmt.Errorf("naive: %w: need 2 observed values, have %d", ErrTooShort, countObserved(y))
	}
	sigma := math.Sqrt(ss / float64(n))
	if !finite(sigma) {
		return fmt.Errorf("naive: %w in residual variance", ErrOverflow)
	}
	*m = Naive{last: y[prev], gap: len(y) - 1 - prev, sigma: sigma, fitted: true}
	return nil
}

// Forecast implements Model.
func (m *Naive) Forecast(h int, level float64) []Prediction {
	if !m.fitted || h < 1 {
		return nil
	}
	q := levelQuantile(level)
	out := make([]Prediction, h)
	for i := range out {
		out[i] = interval(m.last, m.sigma*math.Sqrt(float64(i+1+m.gap)), q)
	}
	return out
}

// SeasonalNaive forecasts each step with the last observed value of the same
// season, Period steps back (FPP3 §5.2): 7 for daily data with a weekly
// cycle, 24 for hourly data with a daily one. Period 1 is Naive.
//
// σ is the root mean square of the seasonal differences y_t − y_{t−m}
// (spanning j periods over gaps: divided by √j), and the h-step interval is
// ŷ ± z·σ·√(k+1) with k = ⌊(h−1)/m⌋ (FPP3 Table 5.2). It needs every season
// observed at least once and one season observed twice.
type SeasonalNaive struct {
	Period int

	lastIdx []int     // per season (index mod Period): latest observed index
	lastVal []float64 // and its value
	n       int       // length of the fitted series
	sigma   float64
	fitted  bool
}

// Name returns "snaive(m)".
func (m *SeasonalNaive) Name() string { return fmt.Sprintf("snaive(%d)", m.Period) }

// Fit implements Model.
func (m *SeasonalNaive) Fit(y []float64) error {
	m.fitted = false
	p := m.Period
	if p < 1 {
		return fmt.Errorf("seasonal naive: Period must be at least 1, got %d", p)
	}
	if err := checkFinite(y); err != nil {
		return fmt.Errorf("seasonal naive: %w", err)
	}
	if len(y) < p+1 {
		return fmt.Errorf("seasonal naive: %w: need more than Period=%d values, have %d", ErrTooShort, p, len(y))
	}
	lastIdx := make([]int, p)
	for i := range lastIdx {
		lastIdx[i] = -1
	}
	n, ss := 0, 0.0
	for i, v := range y {
		if math.IsNaN(v) {
			continue
		}
		s := i % p
		if j := lastIdx[s]; j >= 0 {
			d := v - y[j]
			ss += d * d / float64((i-j)/p)
			n++
		}
		lastIdx[s] = i
	}
	lastVal := make([]float64, p)
	for s, j := range lastIdx {
		if j < 0 {
			return fmt.Errorf("seasonal naive: %w: season %d has no observation", ErrTooShort, s)
		}
		lastVal[s] = y[j]
	}
	if n < 1 {
		return fmt.Errorf("seasonal naive: %w: no season observed twice", ErrTooShort)
	}
	sigma := math.Sqrt(ss / float64(n))
	if !finite(sigma) {
		return fmt.Errorf("seasonal naive: %w in residual variance", ErrOverflow)
	}
	m.lastIdx, m.lastVal, m.n, m.sigma, m.fitted = lastIdx, lastVal, len(y), sigma, true
	return nil
}

// Forecast implements Model.
func (m *SeasonalNaive) Forecast(h int, level float64) []Prediction {
	if !m.fitted || h < 1 {
		return nil
	}
	q := levelQuantile(level)
	p := len(m.lastIdx)
	out := make([]Prediction, h)
	for i := range out {
		t := m.n + i // index of the forecast step
		s := t % p
		periods := (t - m.lastIdx[s]) / p // k+1 without gaps
		out[i] = interval(m.lastVal[s], m.sigma*math.Sqrt(float64(periods)), q)
	}
	return out
}

package forecast

import (
	"fmt"
	"math"
	"time"
)

// Point is one observation of a measure: the start of its period and its
// value. V is NaN when the period has no value (a measure with nothing to
// measure is null, never 0).
type Point struct {
	T time.Time
	V float64
}

// Series is a regularly spaced sequence of points in time order: daily or
// hourly, in UTC so every day is 24 hours.
type Series []Point

// Values returns the values in order, NaN for missing, as the models take them.
func (s Series) Values() []float64 {
	out := make([]float64, len(s))
	for i, p := range s {
		out[i] = p.V
	}
	return out
}

// Step returns the spacing of the series. It returns an error wrapping
// ErrIrregular when the spacing varies or is not positive, and ErrTooShort
// with fewer than two points.
func (s Series) Step() (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("series step: %w: need 2 points, have %d", ErrTooShort, len(s))
	}
	step := s[1].T.Sub(s[0].T)
	for i := 1; i < len(s); i++ {
		if d := s[i].T.Sub(s[i-1].T); d != step || d <= 0 {
			return 0, fmt.Errorf("series step: %w: %v between points %d and %d, %v before", ErrIrregular, d, i-1, i, step)
		}
	}
	return step, nil
}

// SlopePerWeek returns the least-squares slope of the finite values against
// time, in value units per 7 days, for explanations ("rising 2.5 hours a
// week"). It works on irregular series too. ok is false with fewer than two
// finite points at distinct times.
func SlopePerWeek(s Series) (slope float64, ok bool) {
	const week = 7 * 24 * time.Hour
	var (
		origin time.Time
		n      int
		xbar   float64
		ybar   float64
	)
	for _, p := range s {
		if !finite(p.V) {
			continue
		}
		if n == 0 {
			origin = p.T
		}
		n++
		xbar += float64(p.T.Sub(origin)) / float64(week)
		ybar += p.V
	}
	if n < 2 {
		return 0, false
	}
	xbar /= float64(n)
	ybar /= float64(n)
	var sxx, sxy float64
	for _, p := range s {
		if !finite(p.V) {
			continue
		}
		dx := float64(p.T.Sub(origin))/float64(week) - xbar
		sxx += dx * dx
		sxy += dx * (p.V - ybar)
	}
	if sxx == 0 {
		return 0, false
	}
	slope = sxy / sxx
	return slope, !math.IsNaN(slope) && !math.IsInf(slope, 0)
}

// Crossing returns the first forecast step (1-based: step 1 is preds[0]) at
// which the mean reaches or passes target: Mean ≥ target when above is
// true, Mean ≤ target otherwise. ok is false when no step does; NaN means
// are skipped. Step × series step is the time to the crossing.
func Crossing(preds []Prediction, target float64, above bool) (step int, ok bool) {
	for i, p := range preds {
		if (above && p.Mean >= target) || (!above && p.Mean <= target) {
			return i + 1, true
		}
	}
	return 0, false
}

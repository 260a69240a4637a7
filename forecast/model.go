package forecast

import (
	"errors"
	"fmt"
	"math"
)

// Prediction is one step of a forecast: the point forecast and the bounds of
// its central prediction interval.
type Prediction struct {
	Mean, Lower, Upper float64
}

// Model is a forecasting method. Fit estimates it from a regularly spaced
// series (NaN = missing, see the package doc) and returns an error, leaving
// the model unfitted, when the series cannot support it. Forecast returns h
// predictions for the steps after the end of the fitted series, with
// intervals at the given level in (0, 1); it returns nil when the model is
// not fitted or h < 1.
type Model interface {
	Name() string
	Fit(y []float64) error
	Forecast(h int, level float64) []Prediction
}

// Sentinel errors; Fit, Select and the control charts wrap them with detail.
var (
	ErrTooShort    = errors.New("not enough observations")
	ErrNonFinite   = errors.New("infinite value")
	ErrOverflow    = errors.New("arithmetic overflow")
	ErrNoVariation = errors.New("baseline has no variation")
	ErrIrregular   = errors.New("series is not regularly spaced")
)

// checkFinite rejects infinities; NaN is allowed (missing).
func checkFinite(y []float64) error {
	for i, v := range y {
		if math.IsInf(v, 0) {
			return fmt.Errorf("%w at index %d", ErrNonFinite, i)
		}
	}
	return nil
}

// trimLeading drops leading NaNs.
func trimLeading(y []float64) []float64 {
	for i, v := range y {
		if !math.IsNaN(v) {
			return y[i:]
		}
	}
	return nil
}

// trailingGap counts the NaNs at the end of y.
func trailingGap(y []float64) int {
	g := 0
	for i := len(y) - 1; i >= 0 && math.IsNaN(y[i]); i-- {
		g++
	}
	return g
}

// countObserved counts the non-NaN values of y.
func countObserved(y []float64) int {
	n := 0
	for _, v := range y {
		if !math.IsNaN(v) {
			n++
		}
	}
	return n
}

// finite reports whether every argument is neither NaN nor infinite.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// interval centres a prediction on mean with half-width q·sd. A NaN q (from
// an invalid level) gives NaN bounds.
func interval(mean, sd, q float64) Prediction {
	return Prediction{Mean: mean, Lower: mean - q*sd, Upper: mean + q*sd}
}

// validSmoothing checks a user-fixed smoothing parameter: 0 means "estimate",
// otherwise it must lie in (0, 1].
func validSmoothing(name string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("%s must be in (0, 1], or 0 to estimate it, got %v", name, v)
	}
	return nil
}

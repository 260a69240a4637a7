package forecast

import (
	"fmt"
	"math"
)

// SES is simple exponential smoothing, ETS(A,N,N) (FPP3 §8.1): a local
// level that follows the series with weight α,
//
//	ℓ_t = ℓ_{t−1} + α·e_t,  e_t = y_t − ℓ_{t−1},
//
// and a flat forecast ℓ_T. It sits between the mean (α near 0) and the
// naive forecast (α = 1), and is the better of the two on a noisy level
// that wanders: the usual shape of a weekly delivery measure.
//
// The starting level is the least-squares best for α (start.go), α is
// estimated by minimising the sum of squared one-step errors unless fixed,
// and the h-step interval uses σ_h² = σ²·[1 + (h−1)·α²] (FPP3 Table 8.8),
// with σ² = SSE/(n_e − p − 1): p estimated smoothing parameters and the
// starting level. It needs p+2 observations, and at least 3.
type SES struct {
	Alpha float64 // level smoothing in (0, 1]; 0 = estimate

	alpha, level, sigma float64
	nObs, span, gap     int
	fitted              bool
}

// Name returns "ses".
func (*SES) Name() string { return "ses" }

// Smoothing returns α in use: fixed or estimated.
func (m *SES) Smoothing() float64 { return m.alpha }

// Level returns the level at the end of the fitted series.
func (m *SES) Level() float64 { return m.level }

// sesBestStart returns the least-squares starting level for alpha, the
// final level from it and its SSE. The errors are affine in the start:
// e = e⁰ + ℓ₀·u, so ℓ₀ = −Σe⁰u / Σu².
func sesBestStart(y []float64, alpha float64) (start, final, sse float64, ne int) {
	var l0, lu float64 = 0, 1 // from a zero start on the data; from a unit start on zeros
	var s00, s0u, suu float64
	for _, v := range y {
		if math.IsNaN(v) {
			continue // the level's forecast is itself: nothing moves
		}
		e0, eu := v-l0, -lu
		l0 += alpha * e0
		lu += alpha * eu
		s00 += e0 * e0
		s0u += e0 * eu
		suu += eu * eu
		ne++
	}
	if suu > 0 {
		start = -s0u / suu
	}
	sse = max(s00+2*start*s0u+start*start*suu, 0)
	return start, l0 + start*lu, sse, ne
}

// Fit implements Model.
func (m *SES) Fit(y []float64) error {
	m.fitted = false
	if err := validSmoothing("ses: Alpha", m.Alpha); err != nil {
		return err
	}
	if err := checkFinite(y); err != nil {
		return fmt.Errorf("ses: %w", err)
	}
	p := 0
	if m.Alpha == 0 {
		p = 1
	}
	y = trimLeading(y)
	n := countObserved(y)
	if n < max(p+2, 3) {
		return fmt.Errorf("ses: %w: need %d observed values, have %d", ErrTooShort, max(p+2, 3), n)
	}
	alpha := m.Alpha
	if alpha == 0 {
		var best float64
		alpha, best = minimizeAlpha(func(a float64) float64 {
			_, _, sse, _ := sesBestStart(y, a)
			return sse
		})
		if math.IsInf(best, 1) {
			return fmt.Errorf("ses: %w in squared errors", ErrOverflow)
		}
	}
	_, level, sse, ne := sesBestStart(y, alpha)
	sigma := math.Sqrt(sse / float64(ne-p-1))
	if !finite(level, sigma) {
		return fmt.Errorf("ses: %w in smoothing", ErrOverflow)
	}
	*m = SES{Alpha: m.Alpha, alpha: alpha, level: level, sigma: sigma, nObs: n, span: len(y), gap: trailingGap(y), fitted: true}
	return nil
}

// minimizeAlpha finds the α in [paramLo, paramHi] with the least sse. The
// SSE of simple smoothing often has a minimum at each end of the range
// (a level that barely moves, and one that follows every value), which a
// coarse grid misses: a grid of 101 points that includes both bounds picks
// the basin, and golden-section search refines it between its neighbours.
func minimizeAlpha(sse func(float64) float64) (float64, float64) {
	const n = 100
	at := func(i int) float64 { return min(max(float64(i)/n, paramLo), paramHi) }
	eval := func(a float64) float64 {
		v := sse(a)
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	bi, bv := 0, math.Inf(1)
	for i := 0; i <= n; i++ {
		if v := eval(at(i)); v < bv {
			bi, bv = i, v
		}
	}
	lo, hi := at(max(bi-1, 0)), at(min(bi+1, n))
	best := at(bi)
	const g = 0.6180339887498949 // (√5 − 1)/2
	c, d := hi-g*(hi-lo), lo+g*(hi-lo)
	fc, fd := eval(c), eval(d)
	for range 40 {
		if fc < fd {
			hi, d, fd = d, c, fc
			c = hi - g*(hi-lo)
			fc = eval(c)
		} else {
			lo, c, fc = c, d, fd
			d = lo + g*(hi-lo)
			fd = eval(d)
		}
	}
	for _, x := range []struct{ a, v float64 }{{c, fc}, {d, fd}} {
		if x.v < bv {
			best, bv = x.a, x.v
		}
	}
	return best, bv
}

// Forecast implements Model.
func (m *SES) Forecast(h int, level float64) []Prediction {
	if !m.fitted || h < 1 {
		return nil
	}
	q := levelQuantile(level)
	out := make([]Prediction, h)
	for i := range out {
		steps := float64(i + 1 + m.gap)
		out[i] = interval(m.level, m.sigma*math.Sqrt(1+(steps-1)*m.alpha*m.alpha), q)
	}
	return out
}

// Theta is the Theta method of Assimakopoulos & Nikolopoulos (2000), the
// winner of the M3 competition, in the form Hyndman & Billah (2003) showed
// it to be: simple exponential smoothing with a drift of half the series'
// least-squares slope b,
//
//	ŷ_{T+h} = ℓ_T + (b/2)·[(h−1) + (1 − (1−α)^n)/α],
//
// n the length of the series (R's forecast::thetaf). It keeps a trend
// without betting everything on it, which suits a measure that drifts
// slowly under a lot of noise (a deployment rate that grows with the
// organisation). The intervals are SES's, shifted. It needs 3 observations.
type Theta struct {
	Alpha float64 // level smoothing of the SES part; 0 = estimate

	ses   SES
	slope float64
}

// Name returns "theta".
func (*Theta) Name() string { return "theta" }

// Fit implements Model.
func (m *Theta) Fit(y []float64) error {
	m.ses = SES{Alpha: m.Alpha}
	if err := m.ses.Fit(y); err != nil {
		return fmt.Errorf("theta: %w", err)
	}
	var lin Linear
	if err := lin.Fit(y); err != nil {
		m.ses.fitted = false
		return fmt.Errorf("theta: %w", err)
	}
	_, m.slope = lin.Coefficients()
	return nil
}

// Forecast implements Model.
func (m *Theta) Forecast(h int, level float64) []Prediction {
	p := m.ses.Forecast(h, level)
	if p == nil {
		return nil
	}
	// n counts to the last observation, where the horizon starts.
	a, n := m.ses.alpha, float64(m.ses.span-m.ses.gap)
	for i := range p {
		steps := float64(i + m.ses.gap) // h−1, counted from the end of the series
		d := m.slope / 2 * (steps + (1-math.Pow(1-a, n))/a)
		p[i] = Prediction{Mean: p[i].Mean + d, Lower: p[i].Lower + d, Upper: p[i].Upper + d}
	}
	return p
}

package forecast

import (
	"fmt"
	"math"
)

// Signals lists the indexes (into the monitored series) where a control
// chart signals an upward or a downward shift.
type Signals struct {
	Upper, Lower []int
}

// EWMAOptions configures an EWMA control chart (Montgomery, Introduction to
// Statistical Quality Control, §9.2).
type EWMAOptions struct {
	Lambda float64 // weight of the newest observation, in (0, 1]; default 0.2
	L      float64 // limit width in standard deviations of the statistic; default 3

	// Baseline is the number of leading points that estimate the in-control
	// mean μ₀ and standard deviation σ (sample, n−1); monitoring starts after
	// them. Required unless Sigma is set.
	Baseline int
	// Target and Sigma, when Sigma > 0, are a known in-control mean and
	// standard deviation, used instead of the baseline estimates.
	Target, Sigma float64
}

// CUSUMOptions configures a tabular CUSUM (Montgomery §9.1). K and H are in
// units of σ: the chart accumulates standardised deviations beyond K and
// signals when a sum exceeds H.
type CUSUMOptions struct {
	K float64 // allowance (slack); default 0.5, tuned to a 1σ shift
	H float64 // decision interval; default 5 (in-control ARL ≈ 465)

	Baseline      int     // as for EWMAOptions
	Target, Sigma float64 // as for EWMAOptions
}

// inControl returns μ₀ and σ, from the options or the baseline.
func inControl(x []float64, baseline int, target, sigma float64) (float64, float64, error) {
	if baseline < 0 || baseline > len(x) {
		return 0, 0, fmt.Errorf("Baseline must be in [0, %d], got %d", len(x), baseline)
	}
	if sigma > 0 {
		if !finite(target, sigma) {
			return 0, 0, fmt.Errorf("Target and Sigma must be finite, got %v and %v", target, sigma)
		}
		return target, sigma, nil
	}
	if sigma < 0 || math.IsNaN(sigma) {
		return 0, 0, fmt.Errorf("Sigma must be positive, or 0 to estimate it, got %v", sigma)
	}
	var sum float64
	n := 0
	for _, v := range x[:baseline] {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n < 2 {
		return 0, 0, fmt.Errorf("%w: baseline needs 2 observed values, has %d", ErrTooShort, n)
	}
	mu := sum / float64(n)
	var ss float64
	for _, v := range x[:baseline] {
		if !math.IsNaN(v) {
			ss += (v - mu) * (v - mu)
		}
	}
	sd := math.Sqrt(ss / float64(n-1))
	if sd == 0 {
		return 0, 0, fmt.Errorf("%w: set Sigma to the known in-control deviation", ErrNoVariation)
	}
	if !finite(mu, sd) {
		return 0, 0, fmt.Errorf("%w in baseline", ErrOverflow)
	}
	return mu, sd, nil
}

// EWMA runs an EWMA chart over x[Baseline:]. With z₀ = μ₀ and t counting
// monitored observations,
//
//	z_t = λx_t + (1−λ)z_{t−1},
//	limits μ₀ ± L·σ·√(λ/(2−λ)·[1 − (1−λ)^{2t}]),
//
// the exact time-varying limits, which are narrower at the start, so an
// early shift is caught sooner than with the asymptotic ones. Every point
// outside the limits is reported (the statistic is not reset). A NaN is
// skipped: z and t stay as they are. x must not contain infinities.
func EWMA(x []float64, o EWMAOptions) (Signals, error) {
	if o.Lambda == 0 {
		o.Lambda = 0.2
	}
	if o.L == 0 {
		o.L = 3
	}
	if !(o.Lambda > 0 && o.Lambda <= 1) {
		return Signals{}, fmt.Errorf("ewma: Lambda must be in (0, 1], got %v", o.Lambda)
	}
	if !(o.L > 0) || math.IsInf(o.L, 0) {
		return Signals{}, fmt.Errorf("ewma: L must be positive, got %v", o.L)
	}
	if err := checkFinite(x); err != nil {
		return Signals{}, fmt.Errorf("ewma: %w", err)
	}
	mu, sigma, err := inControl(x, o.Baseline, o.Target, o.Sigma)
	if err != nil {
		return Signals{}, fmt.Errorf("ewma: %w", err)
	}
	var sig Signals
	lam := o.Lambda
	z := mu
	decay := 1.0 // (1−λ)^{2t}
	for i := o.Baseline; i < len(x); i++ {
		if math.IsNaN(x[i]) {
			continue
		}
		z = lam*x[i] + (1-lam)*z
		decay *= (1 - lam) * (1 - lam)
		width := o.L * sigma * math.Sqrt(lam/(2-lam)*(1-decay))
		switch {
		case z > mu+width:
			sig.Upper = append(sig.Upper, i)
		case z < mu-width:
			sig.Lower = append(sig.Lower, i)
		}
	}
	return sig, nil
}

// CUSUM runs a tabular CUSUM over x[Baseline:]. With u_t = (x_t − μ₀)/σ,
//
//	C⁺_t = max(0, C⁺_{t−1} + u_t − K)
//	C⁻_t = max(0, C⁻_{t−1} − u_t − K)
//
// starting at 0. A side signals when its sum exceeds H; both sums then
// restart at 0, so a sustained shift signals again after another run, as
// Montgomery recommends after an out-of-control action. A NaN is skipped.
// x must not contain infinities.
func CUSUM(x []float64, o CUSUMOptions) (Signals, error) {
	if o.K == 0 {
		o.K = 0.5
	}
	if o.H == 0 {
		o.H = 5
	}
	if !(o.K > 0) || math.IsInf(o.K, 0) {
		return Signals{}, fmt.Errorf("cusum: K must be positive, got %v", o.K)
	}
	if !(o.H > 0) || math.IsInf(o.H, 0) {
		return Signals{}, fmt.Errorf("cusum: H must be positive, got %v", o.H)
	}
	if err := checkFinite(x); err != nil {
		return Signals{}, fmt.Errorf("cusum: %w", err)
	}
	mu, sigma, err := inControl(x, o.Baseline, o.Target, o.Sigma)
	if err != nil {
		return Signals{}, fmt.Errorf("cusum: %w", err)
	}
	var sig Signals
	var hi, lo float64
	for i := o.Baseline; i < len(x); i++ {
		if math.IsNaN(x[i]) {
			continue
		}
		u := (x[i] - mu) / sigma
		hi = max(0, hi+u-o.K)
		lo = max(0, lo-u-o.K)
		up, down := hi > o.H, lo > o.H
		if up {
			sig.Upper = append(sig.Upper, i)
		}
		if down {
			sig.Lower = append(sig.Lower, i)
		}
		if up || down {
			hi, lo = 0, 0
		}
	}
	return sig, nil
}

package forecast

// Starting states, estimated by least squares.
//
// For fixed smoothing parameters the one-step errors of the additive models
// are affine in the starting level ℓ and trend b: running the recursion on
// the data from a zero start gives errors e⁰, running it on zeros from the
// unit starts (1, 0) and (0, 1) gives u and v, and then e = e⁰ + ℓ·u + b·v.
// The SSE is a quadratic in (ℓ, b) whose minimum a 2×2 solve finds, so
// every SSE evaluation during parameter search uses the best start for its
// parameters ("concentrated" least squares). This matches what R's ets does
// by including the starts in its optimiser, without widening the search.
//
// A heuristic start (a line through the first observations) is not enough:
// with a small β, an error of 0.1σ in the starting trend drifts the level by
// 0.1σ per step, and estimation then prefers a large α on plain noise.

// startSums accumulates the cross products of e⁰, u and v.
type startSums struct {
	s00, s0u, s0v, suu, suv, svv float64
}

func (s *startSums) add(e0, u, v float64) {
	s.s00 += e0 * e0
	s.s0u += e0 * u
	s.s0v += e0 * v
	s.suu += u * u
	s.suv += u * v
	s.svv += v * v
}

// solve returns the least-squares start and the SSE it gives. ok is false
// when the start is not identifiable (near-singular normal equations) or
// the sums overflowed.
func (s *startSums) solve() (level, trend, sse float64, ok bool) {
	det := s.suu*s.svv - s.suv*s.suv
	if !(det > 1e-12*s.suu*s.svv) || !finite(det) {
		return 0, 0, s.s00, false
	}
	level = (s.s0v*s.suv - s.s0u*s.svv) / det
	trend = (s.s0u*s.suv - s.s0v*s.suu) / det
	sse = s.s00 + 2*level*s.s0u + 2*trend*s.s0v + level*level*s.suu + 2*level*trend*s.suv + trend*trend*s.svv
	// Cancellation can leave a tiny negative for a near-perfect fit.
	return level, trend, max(sse, 0), finite(level, trend, sse)
}

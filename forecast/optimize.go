package forecast

import (
	"math"
	"sort"
)

// Bounds for estimated smoothing parameters. They stay off 0 and 1 so the
// fitted model keeps learning from new data (0) and is not a pure random walk
// (1), the same open interval FPP3 §8.6 gives for ETS estimation.
const (
	paramLo = 1e-4
	paramHi = 1 - 1e-4
)

// minimize finds x in [lo, hi]^dim that minimises f, for the 1–3 smoothing
// parameters of the exponential smoothing models.
//
// The sum of squared one-step errors as a function of the smoothing
// parameters is smooth but often has several local minima and flat ridges,
// so a coarse grid first picks the basin and Nelder–Mead (with points
// clamped into the box) then refines it. Both are deterministic: the same
// series always gives the same parameters. f may return NaN or +Inf for
// inadmissible points; both count as +Inf.
func minimize(f func([]float64) float64, dim int, lo, hi float64) ([]float64, float64) {
	eval := func(x []float64) float64 {
		v := f(x)
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	if dim == 0 {
		return nil, eval(nil)
	}

	// Grid search: 5 points per dimension, at most 125 evaluations.
	grid := []float64{0.1, 0.3, 0.5, 0.7, 0.9}
	best := make([]float64, dim)
	bestF := math.Inf(1)
	x := make([]float64, dim)
	idx := make([]int, dim)
	for {
		for i := range dim {
			x[i] = min(max(grid[idx[i]], lo), hi)
		}
		if v := eval(x); v < bestF {
			bestF = v
			copy(best, x)
		}
		i := 0
		for i < dim {
			idx[i]++
			if idx[i] < len(grid) {
				break
			}
			idx[i] = 0
			i++
		}
		if i == dim {
			break
		}
	}
	if math.IsInf(bestF, 1) {
		return best, bestF
	}
	return nelderMead(eval, best, bestF, lo, hi)
}

// nelderMead refines x0 with the standard coefficients (reflection 1,
// expansion 2, contraction ½, shrink ½), clamping every point into the box.
func nelderMead(f func([]float64) float64, x0 []float64, f0, lo, hi float64) ([]float64, float64) {
	const (
		step    = 0.1
		maxEval = 300
		fTol    = 1e-10
		xTol    = 1e-7
	)
	dim := len(x0)
	clamp := func(x []float64) {
		for i := range x {
			x[i] = min(max(x[i], lo), hi)
		}
	}
	type vertex struct {
		x []float64
		f float64
	}
	simplex := make([]vertex, dim+1)
	simplex[0] = vertex{append([]float64(nil), x0...), f0}
	evals := 0
	for i := range dim {
		x := append([]float64(nil), x0...)
		if x[i]+step <= hi {
			x[i] += step
		} else {
			x[i] -= step
		}
		clamp(x)
		simplex[i+1] = vertex{x, f(x)}
		evals++
	}
	centroid := make([]float64, dim)
	along := func(t float64) []float64 { // centroid + t·(centroid − worst)
		x := make([]float64, dim)
		w := simplex[dim].x
		for i := range x {
			x[i] = centroid[i] + t*(centroid[i]-w[i])
		}
		clamp(x)
		return x
	}
	for evals < maxEval {
		sort.SliceStable(simplex, func(i, j int) bool { return simplex[i].f < simplex[j].f })
		bestV, worst := simplex[0], simplex[dim]
		size := 0.0
		for _, v := range simplex[1:] {
			for i := range dim {
				size = max(size, math.Abs(v.x[i]-bestV.x[i]))
			}
		}
		if size < xTol || (!math.IsInf(worst.f, 1) && worst.f-bestV.f <= fTol*(1+math.Abs(bestV.f))) {
			break
		}
		for i := range centroid {
			centroid[i] = 0
			for _, v := range simplex[:dim] {
				centroid[i] += v.x[i]
			}
			centroid[i] /= float64(dim)
		}
		xr := along(1)
		fr := f(xr)
		evals++
		switch {
		case fr < bestV.f:
			xe := along(2)
			fe := f(xe)
			evals++
			if fe < fr {
				simplex[dim] = vertex{xe, fe}
			} else {
				simplex[dim] = vertex{xr, fr}
			}
		case fr < simplex[dim-1].f:
			simplex[dim] = vertex{xr, fr}
		default:
			t := -0.5 // inside contraction
			if fr < worst.f {
				t = 0.5 // outside contraction
			}
			xc := along(t)
			fc := f(xc)
			evals++
			if fc < min(fr, worst.f) {
				simplex[dim] = vertex{xc, fc}
				continue
			}
			for k := 1; k <= dim; k++ {
				for i := range dim {
					simplex[k].x[i] = bestV.x[i] + 0.5*(simplex[k].x[i]-bestV.x[i])
				}
				simplex[k].f = f(simplex[k].x)
				evals++
			}
		}
	}
	sort.SliceStable(simplex, func(i, j int) bool { return simplex[i].f < simplex[j].f })
	return simplex[0].x, simplex[0].f
}

// fitParams estimates the free entries of params (those equal to 0) by
// minimising sse over them, holding the others fixed. It returns the full
// vector and the minimum.
func fitParams(params []float64, sse func(p []float64) float64) ([]float64, float64) {
	var free []int
	for i, v := range params {
		if v == 0 {
			free = append(free, i)
		}
	}
	full := append([]float64(nil), params...)
	obj := func(x []float64) float64 {
		for k, i := range free {
			full[i] = x[k]
		}
		return sse(full)
	}
	x, v := minimize(obj, len(free), paramLo, paramHi)
	out := append([]float64(nil), params...)
	for k, i := range free {
		out[i] = x[k]
	}
	return out, v
}

package forecast

import "math"

// normalQuantile is the standard normal inverse CDF; NaN outside (0, 1).
func normalQuantile(p float64) float64 {
	if !(p > 0 && p < 1) {
		return math.NaN()
	}
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// levelQuantile turns a central interval level into the upper normal
// quantile: 0.95 → 1.959964. NaN when level is outside (0, 1).
func levelQuantile(level float64) float64 {
	if !(level > 0 && level < 1) {
		return math.NaN()
	}
	return normalQuantile(0.5 + level/2)
}

// tLevelQuantile is levelQuantile for Student's t with df degrees of freedom.
func tLevelQuantile(level, df float64) float64 {
	if !(level > 0 && level < 1) {
		return math.NaN()
	}
	return tQuantile(0.5+level/2, df)
}

// tQuantile is the inverse CDF of Student's t with df > 0 degrees of freedom.
//
// Above 1000 degrees of freedom it uses the Cornish–Fisher expansion around
// the normal quantile (Abramowitz & Stegun 26.7.5, first three terms: error
// below 1e-9 there), because the continued fraction for the incomplete beta
// converges slowly for large df. Otherwise it inverts the CDF by bisection,
// which is slow but exact to rounding and needs no starting guess; it runs
// once per Forecast call.
func tQuantile(p, df float64) float64 {
	switch {
	case !(p > 0 && p < 1) || !(df > 0) || math.IsInf(df, 0):
		return math.NaN()
	case p == 0.5:
		return 0
	case p < 0.5:
		return -tQuantile(1-p, df)
	case df > 1000:
		z := normalQuantile(p)
		z2 := z * z
		g1 := (z2 + 1) * z / 4
		g2 := ((5*z2+16)*z2 + 3) * z / 96
		g3 := (((3*z2+19)*z2+17)*z2 - 15) * z / 384
		return z + g1/df + g2/(df*df) + g3/(df*df*df)
	}
	lo, hi := 0.0, 1.0
	for tCDF(hi, df) < p {
		lo, hi = hi, 2*hi
		if hi > 1e300 {
			return math.Inf(1)
		}
	}
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		if tCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}

// tCDF is P(T ≤ t) for Student's t with df degrees of freedom:
// the two tails are ½·I_x(df/2, ½) with x = df/(df+t²).
func tCDF(t, df float64) float64 {
	x := df / (df + t*t)
	tail := 0.5 * regIncBeta(x, df/2, 0.5)
	if t > 0 {
		return 1 - tail
	}
	return tail
}

// regIncBeta is the regularised incomplete beta function I_x(a, b), by the
// continued fraction of Numerical Recipes §6.4 (modified Lentz), using the
// symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where the fraction converges slowly.
func regIncBeta(x, a, b float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(x, a, b) / a
	}
	return 1 - front*betaCF(1-x, b, a)/b
}

func betaCF(x, a, b float64) float64 {
	const (
		maxIter = 10000
		eps     = 1e-15
		tiny    = 1e-300
	)
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= maxIter; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

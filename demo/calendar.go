package demo

import (
	"math"
	"math/rand/v2"
	"time"
)

// Working time is weekdays 08:00–18:00 UTC, holidays excepted. Reviews,
// approvals, flow and the gaps between releases advance in working time, so
// a Friday evening merge waits for Monday.
const (
	workStart = 8 * time.Hour
	workEnd   = 18 * time.Hour
)

func midnight(t time.Time) time.Time { return t.Truncate(day) } // UTC: days are 24 h

func holiday(t time.Time) bool {
	m, d := t.Month(), t.Day()
	return m == time.December && (d == 24 || d == 25 || d == 26 || d == 31) || m == time.January && d == 1
}

func workday(t time.Time) bool {
	w := t.Weekday()
	return w != time.Saturday && w != time.Sunday && !holiday(t)
}

// toWork moves t to the next instant of working time (t itself if it is one).
func toWork(t time.Time) time.Time {
	for {
		m := midnight(t)
		switch {
		case !workday(m) || t.Sub(m) >= workEnd:
			t = m.Add(day + workStart)
		case t.Sub(m) < workStart:
			return m.Add(workStart)
		default:
			return t
		}
	}
}

// addWork returns the instant d of working time after t.
func addWork(t time.Time, d time.Duration) time.Time {
	for {
		t = toWork(t)
		left := midnight(t).Add(workEnd).Sub(t)
		if d < left {
			return t.Add(d)
		}
		d -= left
		t = t.Add(left)
	}
}

// activity scales how much work people start: holidays slow the end of the
// year, August is quieter, and the organisation grows 20% over the window.
func activity(t, start, end time.Time) float64 {
	a := 0.9 + 0.2*float64(t.Sub(start))/float64(end.Sub(start))
	switch m, d := t.Month(), t.Day(); {
	case m == time.December && d >= 20 || m == time.January && d <= 3:
		a *= 0.4
	case m == time.August:
		a *= 0.75
	}
	return a
}

// secs turns a number of seconds into a whole-second duration, so that every
// generated time is already at the store's resolution.
func secs(s float64) time.Duration {
	return time.Duration(math.Max(1, math.Round(s))) * time.Second
}

// lognormal draws a duration with the given median; sigma 0.5 is tight, 1 wide.
func lognormal(r *rand.Rand, median time.Duration, sigma float64) time.Duration {
	return secs(median.Seconds() * math.Exp(sigma*r.NormFloat64()))
}

// uniform draws a duration in [lo, hi).
func uniform(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + secs(r.Float64()*(hi-lo).Seconds())
}

// poisson draws a count with mean lambda (Knuth's method: the rates here
// are small; large ones use the normal approximation).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}

// pick returns the index of the first cumulative weight above a uniform draw.
func pick(r *rand.Rand, weights ...float64) int {
	x := r.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

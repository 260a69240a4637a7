package alerting

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/throughline/throughline/forecast"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// Scope is a rule's grouping and filters, as metrics.Query takes them.
type Scope struct {
	GroupBy, Service, Team, Product string
}

func (r Rule) scope() Scope {
	return Scope{GroupBy: r.GroupBy, Service: r.Service, Team: r.Team, Product: r.Product}
}

// seriesSource builds series of a measure per group by computing the
// measure, through metrics.Computer, over the trailing window that ends at
// each step: it never computes a measure itself.
//
// Reports of windows that ended more than stable ago are cached, so that an
// hourly evaluation recomputes only the last days (late events can still
// change them) and a backtest computes each day once.
type seriesSource struct {
	computer *metrics.Computer
	store    *queries.Store
	stable   time.Duration

	mu    sync.Mutex
	cache map[reportKey]*metrics.Report
}

type reportKey struct {
	scope  Scope
	window time.Duration
	to     time.Time
}

func newSeriesSource(c *metrics.Computer, st *queries.Store, stable time.Duration) *seriesSource {
	return &seriesSource{computer: c, store: st, stable: stable, cache: map[reportKey]*metrics.Report{}}
}

// midnight is the start of t's day, UTC.
func midnight(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// report computes (or recalls) the measures of sc over [to−window, to).
func (s *seriesSource) report(ctx context.Context, sc Scope, window time.Duration, to, now time.Time) (*metrics.Report, error) {
	k := reportKey{sc, window, to}
	cacheable := !to.After(now.Add(-s.stable))
	if cacheable {
		s.mu.Lock()
		rep, ok := s.cache[k]
		s.mu.Unlock()
		if ok {
			return rep, nil
		}
	}
	rep, err := s.computer.Compute(ctx, metrics.Query{
		From: to.Add(-window), To: to, GroupBy: sc.GroupBy,
		Service: sc.Service, Team: sc.Team, Product: sc.Product,
	})
	if err != nil {
		return nil, err
	}
	if cacheable {
		s.mu.Lock()
		s.cache[k] = rep
		s.mu.Unlock()
	}
	return rep, nil
}

// prune forgets cached reports of windows that ended before oldest.
func (s *seriesSource) prune(oldest time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.cache {
		if k.to.Before(oldest) {
			delete(s.cache, k)
		}
	}
}

// series returns, per group, the series of measure at n steps ending at
// end (a midnight): point i is the measure over the window ending at
// end − (n−1−i)·step, stamped with the start of its step. Missing values are
// NaN.
func (s *seriesSource) series(ctx context.Context, sc Scope, measure string, window, step time.Duration, end time.Time, n int, now time.Time) (map[string]forecast.Series, error) {
	if _, ok := metrics.Lookup(measure); !ok {
		return nil, fmt.Errorf("unknown measure %q", measure)
	}
	out := map[string]forecast.Series{}
	for i := range n {
		to := end.Add(-time.Duration(n-1-i) * step)
		rep, err := s.report(ctx, sc, window, to, now)
		if err != nil {
			return nil, err
		}
		for _, g := range rep.Groups {
			ser, ok := out[g.Key]
			if !ok {
				ser = nanSeries(end, step, n)
				out[g.Key] = ser
			}
			if v := g.Measures[measure]; v != nil {
				ser[i].V = *v
			}
		}
	}
	if d, _ := metrics.Lookup(measure); d.Unit == "count" || d.Unit == "per_day" {
		// A group absent from a window's report had nothing to count
		// there: its count (or rate, such as deployments a day) is 0,
		// never missing; but only from its first value on, since before
		// it the group may not have existed (a new service's weeks of no
		// deployments would read as a trend, or as a quiet baseline).
		for _, ser := range out {
			seen := false
			for i := range ser {
				seen = seen || !math.IsNaN(ser[i].V)
				if seen && math.IsNaN(ser[i].V) {
					ser[i].V = 0
				}
			}
		}
	}
	return out, nil
}

// current returns the measure per group over [now−window, now).
func (s *seriesSource) current(ctx context.Context, sc Scope, measure string, window time.Duration, now time.Time) (map[string]float64, error) {
	out := map[string]float64{}
	rep, err := s.report(ctx, sc, window, now, now)
	if err != nil {
		return nil, err
	}
	for _, g := range rep.Groups {
		if v := g.Measures[measure]; v != nil {
			out[g.Key] = *v
		} else {
			out[g.Key] = math.NaN()
		}
	}
	return out, nil
}

func nanSeries(end time.Time, step time.Duration, n int) forecast.Series {
	ser := make(forecast.Series, n)
	for i := range ser {
		ser[i] = forecast.Point{T: end.Add(-time.Duration(n-i) * step), V: math.NaN()}
	}
	return ser
}

package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ExporterOptions configure the Prometheus exporter of measures.
type ExporterOptions struct {
	Computer *Computer
	// Window is the rolling window the gauges cover (default 30 days).
	Window time.Duration
	// Refresh is how often measures are recomputed (at least a minute): a
	// scrape reads the last result, it never runs the queries.
	Refresh time.Duration
	Logger  *slog.Logger
	Now     func() time.Time
}

// Exporter is a prometheus.Collector of the measures per service, with
// team and product labels, over a rolling window.
type Exporter struct {
	o     ExporterOptions
	mu    sync.RWMutex
	last  *Report
	at    time.Time
	descs map[string]*prometheus.Desc
	age   *prometheus.Desc
	ok    *prometheus.Desc
	err   error
}

// NewExporter builds the collector; register it, then Run it.
func NewExporter(o ExporterOptions) (*Exporter, error) {
	if o.Computer == nil {
		return nil, errors.New("metrics: ExporterOptions.Computer is required")
	}
	if o.Window <= 0 {
		o.Window = 30 * 24 * time.Hour
	}
	if o.Refresh < time.Minute {
		o.Refresh = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Exporter{o: o, descs: map[string]*prometheus.Desc{}}
	window := prometheus.Labels{"window": windowLabel(o.Window)}
	for _, d := range Definitions {
		e.descs[d.Name] = prometheus.NewDesc(PromName(d), d.Description+" Rolling window.", []string{"service", "team", "product"}, window)
	}
	e.age = prometheus.NewDesc("throughline_measures_computed_timestamp_seconds", "When the exported measures were last computed.", nil, nil)
	e.ok = prometheus.NewDesc("throughline_measures_up", "1 when the last computation of measures succeeded.", nil, nil)
	return e, nil
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range e.descs {
		ch <- d
	}
	ch <- e.age
	ch <- e.ok
}

// Collect implements prometheus.Collector from the cached report. Null
// measures are left out (Prometheus has no null).
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	up := 1.0
	if e.err != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(e.ok, prometheus.GaugeValue, up)
	if e.last == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(e.age, prometheus.GaugeValue, float64(e.at.Unix()))
	cat := e.o.Computer.Catalog()
	for _, g := range e.last.Groups {
		for name, v := range g.Measures {
			if v == nil {
				continue
			}
			ch <- prometheus.MustNewConstMetric(e.descs[name], prometheus.GaugeValue, *v, g.Key, cat.TeamOf(g.Key), cat.ProductOf(g.Key))
		}
	}
}

// Refresh recomputes the measures now.
func (e *Exporter) Refresh(ctx context.Context) error {
	now := e.o.Now().UTC()
	rep, err := e.o.Computer.Compute(ctx, Query{From: now.Add(-e.o.Window), To: now, GroupBy: "service"})
	e.mu.Lock()
	defer e.mu.Unlock()
	e.err = err
	if err != nil {
		return err
	}
	e.last, e.at = rep, now
	return nil
}

// Run refreshes at once, then every Refresh interval, until ctx ends.
// Failures are logged and counted, never fatal.
func (e *Exporter) Run(ctx context.Context) error {
	t := time.NewTicker(e.o.Refresh)
	defer t.Stop()
	for {
		if err := e.Refresh(ctx); err != nil && ctx.Err() == nil {
			e.o.Logger.Warn("refresh measures for /metrics", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// windowLabel writes whole days as "30d", anything else as a Go duration.
func windowLabel(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

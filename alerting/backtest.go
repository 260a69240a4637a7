package alerting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/throughline/throughline/forecast"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// Regression is a known deterioration in a stored history (the demo's
// injected ones, or incidents a team remembers), against which a backtest
// scores detection.
type Regression struct {
	Scope   string // team or service
	Key     string // the team or service
	Measure string // a measure of the catalogue
	Start   time.Time
}

// SeriesRef names one series: a measure of one group.
type SeriesRef struct {
	Measure, GroupBy, Key string
}

// BacktestOptions configure Backtest.
type BacktestOptions struct {
	Store    *queries.Store
	Computer *metrics.Computer
	// End is the end of the history replayed (a midnight; default the
	// midnight after the clock). Days is its length (default 365).
	End  time.Time
	Days int
	// Measures whose accuracy is reported per GroupBy group (default the
	// DORA measures and incidents_opened; GroupBy default team), and for the
	// whole organisation too when Overall is set.
	Measures []string
	GroupBy  string
	Overall  bool
	// Horizon is how many weeks ahead forecasts are scored (default 1).
	Horizon int
	// Trending are the series expected to trend (the demo's story); the
	// report flags them so that their accuracy can be checked.
	Trending []SeriesRef
	// Rules are the detection rules replayed day by day (default
	// DetectionRules for the regressions' measures).
	Rules       []Rule
	Regressions []Regression
	// ReplayStep is the time between two replayed evaluations (default 7d,
	// the step of the default detectors: their windows then end where the
	// accuracy series' do, and each week is computed once).
	ReplayStep time.Duration
	// Progress, when set, receives a line per replayed week.
	Progress io.Writer
}

// SeriesAccuracy is the forecast accuracy on one weekly series.
type SeriesAccuracy struct {
	SeriesRef
	Points    int     `json:"points"`
	Model     string  `json:"model"`
	MASE      float64 `json:"mase"`       // the chosen model's
	NaiveMASE float64 `json:"naive_mase"` // the naive forecast's, on the same origins
	// HeldOutMASE replays the choice too: at each origin the model is
	// chosen by a backtest on the weeks before it only, so the score is
	// that of the whole procedure on data it never saw.
	HeldOutMASE  float64 `json:"held_out_mase"`
	Coverage     float64 `json:"coverage"`       // share of actuals inside the 95% interval
	SlopePerWeek float64 `json:"slope_per_week"` // least-squares trend
	Trending     bool    `json:"trending"`
	Err          string  `json:"error,omitempty"`
	// Weeks are the series' weekly values, oldest first (NaN where the
	// measure was undefined, null in JSON): what was forecast.
	Weeks []float64 `json:"weeks"`
}

// RegressionResult is whether and when a regression was detected.
type RegressionResult struct {
	Regression
	SeriesMeasure string        `json:"series_measure"` // the measure whose series was watched
	Detected      bool          `json:"detected"`
	Rule          string        `json:"rule,omitempty"`
	FirstAlert    time.Time     `json:"first_alert,omitempty"`
	Delay         time.Duration `json:"delay"`
	Scored        bool          `json:"scored"` // false when it starts before the replay can see it
}

// Episode is one alert firing during the replay.
type Episode struct {
	Rule, Key string
	Start     time.Time
	End       time.Time // zero while still firing at the end
	True      bool      // it started during a regression of its series
}

// BacktestReport is the outcome of Backtest.
type BacktestReport struct {
	From, To      time.Time
	ReplayFrom    time.Time
	Series        []SeriesAccuracy
	Episodes      []Episode
	Regressions   []RegressionResult
	Alerts        int
	TruePositives int
	Precision     float64 // NaN without alerts
	Recall        float64 // NaN without scored regressions
	MedianDelay   time.Duration
}

// seriesMeasure is the measure a backtest watches for a regression's
// measure: itself when the catalogue has it; the demo's story names
// mttr_seconds, which older catalogues lacked, so the failed-deployment
// recovery time (which the demo slows too) stands in for it there.
func seriesMeasure(m string) string {
	if _, ok := measureUnit(m); ok || m != "mttr_seconds" {
		return m
	}
	return "failed_deployment_recovery_time_median_seconds"
}

// DetectionRules are the backtest's default detectors: one anomaly rule per
// regression measure and scope, on weekly values (a 7-day window every 7
// days: independent points, so the limits mean what they say), with 14
// weeks of baseline, in the direction that means trouble. Incident counts,
// which arrive as a Poisson process, take the exact rate test over the
// last two weeks (a control chart's normal limits fire on one busy week of
// a service that usually has none or one); the other measures, deployments
// included (scheduled, not random arrivals), take an EWMA chart.
func DetectionRules(regs []Regression) []Rule {
	seen := map[string]bool{}
	var out []Rule
	for _, g := range regs {
		m := seriesMeasure(g.Measure)
		key := g.Scope + "/" + m
		if seen[key] {
			continue
		}
		seen[key] = true
		dir := "up"
		if m == "deployment_frequency_per_day" || m == "deployments" {
			dir = "down"
		}
		r := Rule{
			Name: "detect-" + m + "-by-" + g.Scope, Kind: KindAnomaly, Measure: m, GroupBy: g.Scope,
			Method: "ewma", Direction: dir, Window: Duration(7 * day), Step: Duration(7 * day),
			History: Duration(126 * day), Baseline: Duration(98 * day), Recent: Duration(7 * day),
		}
		if m == "incidents_opened" {
			r.Method, r.Recent, r.Alpha = "poisson", Duration(14*day), DefaultAlpha
		}
		out = append(out, r)
	}
	return out
}

// Backtest replays a stored history: it scores forecasts of weekly series
// (MASE against the naive forecast, interval coverage) and replays the
// detection rules day by day, scoring their alerts against the known
// regressions (precision, recall, detection delay).
func Backtest(ctx context.Context, o BacktestOptions) (*BacktestReport, error) {
	if o.Store == nil || o.Computer == nil {
		return nil, errors.New("backtest: Store and Computer are required")
	}
	if o.End.IsZero() {
		o.End = midnight(time.Now()).Add(day)
	}
	o.End = midnight(o.End)
	if o.Days == 0 {
		o.Days = 365
	}
	if o.GroupBy == "" {
		o.GroupBy = "team"
	}
	if o.Horizon == 0 {
		o.Horizon = 1
	}
	if o.ReplayStep <= 0 {
		o.ReplayStep = 7 * day
	}
	if len(o.Measures) == 0 {
		o.Measures = []string{"deployment_frequency_per_day", "change_lead_time_median_seconds", "change_failure_rate",
			"failed_deployment_recovery_time_median_seconds", "incidents_opened"}
	}
	for _, m := range o.Measures {
		if _, ok := measureUnit(m); !ok {
			return nil, fmt.Errorf("backtest: unknown measure %q (see GET /api/v1/measures/definitions)", m)
		}
	}
	if o.Rules == nil {
		o.Rules = DetectionRules(o.Regressions)
	}
	rules := make([]Rule, len(o.Rules))
	for i, r := range o.Rules {
		rules[i] = r.withDefaults()
	}
	if err := (Config{Rules: o.Rules}).Validate(); err != nil {
		return nil, err
	}
	// The store does not change under a backtest: every report is cached.
	src := newSeriesSource(o.Computer, o.Store, 0)
	rep := &BacktestReport{From: o.End.Add(-time.Duration(o.Days) * day), To: o.End}
	var err error
	if rep.Series, err = accuracy(ctx, src, o); err != nil {
		return nil, err
	}
	if err := replay(ctx, src, o, rules, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func accuracy(ctx context.Context, src *seriesSource, o BacktestOptions) ([]SeriesAccuracy, error) {
	weeks := o.Days / 7
	trending := map[SeriesRef]bool{}
	for _, s := range o.Trending {
		trending[s] = true
	}
	var out []SeriesAccuracy
	groupings := []string{o.GroupBy}
	if o.Overall {
		groupings = append(groupings, "")
	}
	for _, groupBy := range groupings {
		for _, m := range o.Measures {
			all, err := src.series(ctx, Scope{GroupBy: groupBy}, m, 7*day, 7*day, o.End, weeks, o.End)
			if err != nil {
				return nil, err
			}
			for _, key := range sortedKeys(all) {
				ref := SeriesRef{Measure: m, GroupBy: groupBy, Key: key}
				out = append(out, scoreSeries(ref, all[key], o.Horizon, trending[ref]))
			}
		}
	}
	return out, nil
}

// scoreSeries backtests the models forecast rules use on one weekly
// series: Select ranks them by rolling-origin MASE over every origin from
// half the series on; the naive forecast's score on the same origins is
// the baseline. The held-out score replays the selection at each origin.
func scoreSeries(ref SeriesRef, s forecast.Series, h int, trending bool) SeriesAccuracy {
	a := SeriesAccuracy{SeriesRef: ref, Points: len(s), Trending: trending, MASE: math.NaN(), NaiveMASE: math.NaN(),
		HeldOutMASE: math.NaN(), Coverage: math.NaN()}
	a.SlopePerWeek, _ = forecast.SlopePerWeek(s)
	y := s.Values()
	a.Weeks = y
	names := nonSeasonalModels
	f, err := selectModel(y, names, h, DefaultLevel, 0)
	if err != nil {
		a.Err = err.Error()
		return a
	}
	best := f.report.Scores[f.report.Best]
	a.Model, a.MASE, a.Coverage = best.Model, best.MASE, best.Coverage
	a.NaiveMASE = f.report.Scores[0].MASE
	a.HeldOutMASE = heldOutMASE(y, names, f.report.Origins, f.horizon)
	return a
}

// heldOutMASE is the mean MASE, over the origins of the selection's own
// backtest, of the model chosen by a backtest on the values before each
// origin, forecasting h steps as that backtest did. It is NaN unless a
// model could be chosen at every origin, so that it is comparable with the
// selection's MASE (an origin whose actuals are all missing is skipped by
// both).
func heldOutMASE(y []float64, names []string, origins []int, h int) float64 {
	var sum float64
	var n int
	for _, t := range origins {
		if t+h > len(y) {
			return math.NaN()
		}
		f, err := selectModel(y[:t], names, h, DefaultLevel, 0)
		if err != nil {
			return math.NaN()
		}
		hh := h
		preds := f.model.Forecast(hh, DefaultLevel)
		mean := make([]float64, len(preds))
		for i, p := range preds {
			mean[i] = p.Mean
		}
		if v := forecast.MASE(y[t:t+hh], mean, y[:t], 1); !math.IsNaN(v) && !math.IsInf(v, 0) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// replay evaluates the rules every ReplayStep back from End, from the
// first time every rule has its history, and scores the alert episodes.
func replay(ctx context.Context, src *seriesSource, o BacktestOptions, rules []Rule, rep *BacktestReport) error {
	if len(rules) == 0 {
		rep.Precision, rep.Recall = math.NaN(), math.NaN()
		return nil
	}
	ev := &evaluator{src: src}
	// Steps are counted back from End so that they fall on the weekly grid
	// of the accuracy series.
	start := o.End
	for !start.Add(-o.ReplayStep).Before(rep.From.Add(maxHistory(rules))) {
		start = start.Add(-o.ReplayStep)
	}
	rep.ReplayFrom = start
	type k struct{ rule, key string }
	open := map[k]*Episode{}
	since := map[k]time.Time{} // when the condition started to hold
	for now := start; !now.After(o.End); now = now.Add(o.ReplayStep) {
		if o.Progress != nil && now.Sub(start)%(7*day) < o.ReplayStep {
			fmt.Fprintf(o.Progress, "replaying %s\n", now.Format("2006-01-02"))
		}
		for _, r := range rules {
			obs, err := ev.evaluate(ctx, r, now)
			if err != nil {
				return err
			}
			for _, ob := range obs {
				id := k{r.Name, ob.Key}
				if !ob.Active {
					delete(since, id)
					if ep := open[id]; ep != nil {
						ep.End = now
						rep.Episodes = append(rep.Episodes, *ep)
						delete(open, id)
					}
					continue
				}
				if _, ok := since[id]; !ok {
					since[id] = now
				}
				// As the engine does: pending until the condition has held
				// for the rule's For, then firing.
				if open[id] == nil && now.Sub(since[id]) >= r.For.D() {
					open[id] = &Episode{Rule: r.Name, Key: ob.Key, Start: now}
				}
			}
		}
	}
	for _, ep := range open {
		rep.Episodes = append(rep.Episodes, *ep)
	}
	sort.Slice(rep.Episodes, func(i, j int) bool {
		a, b := rep.Episodes[i], rep.Episodes[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Key < b.Key
	})
	score(o, rules, start, rep)
	return nil
}

// score matches episodes with regressions: an episode is true when it
// starts on or after the start of a regression of its series (same
// measure, scope and group); a regression is detected by its first true
// episode.
func score(o BacktestOptions, rules []Rule, start time.Time, rep *BacktestReport) {
	byName := map[string]Rule{}
	for _, r := range rules {
		byName[r.Name] = r
	}
	for _, g := range o.Regressions {
		rep.Regressions = append(rep.Regressions, RegressionResult{Regression: g, SeriesMeasure: seriesMeasure(g.Measure),
			Scored: !g.Start.Before(start) && g.Start.Before(o.End)})
	}
	for i := range rep.Episodes {
		ep := &rep.Episodes[i]
		r := byName[ep.Rule]
		for j := range rep.Regressions {
			g := &rep.Regressions[j]
			if g.SeriesMeasure != r.Measure || g.Scope != r.GroupBy || g.Key != ep.Key || ep.Start.Before(g.Start) {
				continue
			}
			ep.True = true
			if g.Scored && !g.Detected {
				g.Detected, g.Rule, g.FirstAlert, g.Delay = true, ep.Rule, ep.Start, ep.Start.Sub(g.Start)
			}
		}
	}
	rep.Alerts = len(rep.Episodes)
	for _, ep := range rep.Episodes {
		if ep.True {
			rep.TruePositives++
		}
	}
	rep.Precision = math.NaN()
	if rep.Alerts > 0 {
		rep.Precision = float64(rep.TruePositives) / float64(rep.Alerts)
	}
	scored, detected := 0, 0
	var delays []time.Duration
	for _, g := range rep.Regressions {
		if !g.Scored {
			continue
		}
		scored++
		if g.Detected {
			detected++
			delays = append(delays, g.Delay)
		}
	}
	rep.Recall = math.NaN()
	if scored > 0 {
		rep.Recall = float64(detected) / float64(scored)
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	if n := len(delays); n > 0 {
		rep.MedianDelay = (delays[(n-1)/2] + delays[n/2]) / 2
	}
}

package alerting

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries/chtest"
)

// TestBacktestDemo replays a year of a small demo organisation (9 services):
// forecasts of the series the demo's story makes trend must beat the naive
// forecast (MASE below 1), and the detectors' figures on the injected
// regressions are reported.
func TestBacktestDemo(t *testing.T) {
	ctx := context.Background()
	st := chtest.NewStore(t, chtest.Embedded(t))
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	o := demo.Options{End: end, Days: 364, Scale: 0.45}
	es := eventstore.New(st)
	if err := demo.Generate(o, func(evs []ingest.Event) error { return es.Load(ctx, evs) }); err != nil {
		t.Fatal(err)
	}
	cat := demo.Catalog(o)
	c, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &cat})
	if err != nil {
		t.Fatal(err)
	}
	var regs []Regression
	for _, r := range demo.Regressions(o) {
		key := r.Team
		if r.Scope == "service" {
			key = r.Service
		}
		regs = append(regs, Regression{Scope: r.Scope, Key: key, Measure: r.Measure, Start: r.Start})
	}
	if len(regs) != 4 {
		t.Fatalf("the small demo should inject the four regressions, has %+v", regs)
	}
	trending := []SeriesRef{
		{Measure: "change_lead_time_median_seconds", GroupBy: "team", Key: "mobile"},
		{Measure: "deployment_frequency_per_day", GroupBy: "team", Key: "mobile"},
		{Measure: "deployment_frequency_per_day"}, // the organisation grows 20% over the year
	}
	rep, err := Backtest(ctx, BacktestOptions{Store: st, Computer: c, End: end, Days: o.Days,
		Regressions: regs, Trending: trending, Overall: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, s := range rep.Series {
		if !s.Trending {
			continue
		}
		seen++
		t.Logf("trending %s %s: %s MASE %.3f (naive %.3f, held-out %.3f), coverage %.2f, slope %.4g a week, weeks %.3g",
			s.Measure, s.Key, s.Model, s.MASE, s.NaiveMASE, s.HeldOutMASE, s.Coverage, s.SlopePerWeek, s.Weeks)
		if !(s.MASE < 1) {
			t.Errorf("%s of %s: MASE %v, want below 1 (the forecast must beat the naive one on a trending series)", s.Measure, s.Key, s.MASE)
		}
	}
	if seen != len(trending) {
		t.Errorf("%d trending series scored, want %d", seen, len(trending))
	}
	for _, g := range rep.Regressions {
		t.Logf("regression %s %s %s from %s: detected %v after %s", g.Scope, g.Key, g.Measure, g.Start.Format("2006-01-02"), g.Detected, g.Delay)
	}
	t.Logf("alerts %d, true %d, precision %.2f, recall %.2f, median delay %s", rep.Alerts, rep.TruePositives, rep.Precision, rep.Recall, rep.MedianDelay)
	if math.IsNaN(rep.Recall) || rep.Recall == 0 {
		t.Errorf("no injected regression detected (recall %v)", rep.Recall)
	}
	if rep.Alerts > 0 && rep.TruePositives == 0 {
		t.Errorf("%d alerts, none on a regression", rep.Alerts)
	}
}

// TestScore checks the matching of alert episodes with regressions.
func TestScore(t *testing.T) {
	d := func(n int) time.Time { return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * day) }
	rules := []Rule{{Name: "r", Measure: "change_failure_rate", GroupBy: "team"}}
	o := BacktestOptions{End: d(60), Regressions: []Regression{
		{Scope: "team", Key: "a", Measure: "change_failure_rate", Start: d(20)},
		{Scope: "team", Key: "b", Measure: "change_failure_rate", Start: d(30)},
		{Scope: "team", Key: "c", Measure: "change_failure_rate", Start: d(-5)}, // before the replay
	}}
	rep := &BacktestReport{Episodes: []Episode{
		{Rule: "r", Key: "a", Start: d(10)}, // before its regression: false
		{Rule: "r", Key: "a", Start: d(27)}, // true, 7 days late
		{Rule: "r", Key: "a", Start: d(40)}, // true, not the first
		{Rule: "r", Key: "z", Start: d(35)}, // no regression: false
	}}
	score(o, rules, d(0), rep)
	if rep.Alerts != 4 || rep.TruePositives != 2 || rep.Precision != 0.5 || rep.Recall != 0.5 || rep.MedianDelay != 7*day {
		t.Errorf("alerts %d, true %d, precision %v, recall %v, delay %s", rep.Alerts, rep.TruePositives, rep.Precision, rep.Recall, rep.MedianDelay)
	}
	if rep.Regressions[2].Scored {
		t.Error("a regression before the replay was scored")
	}
}

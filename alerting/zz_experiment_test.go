package alerting

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries/chtest"
)

func TestZZExperiment(t *testing.T) {
	if os.Getenv("EXPERIMENT") == "" {
		t.Skip()
	}
	ctx := context.Background()
	st := chtest.NewStore(t, chtest.Embedded(t))
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	days, _ := strconv.Atoi(os.Getenv("DAYS"))
	o := demo.Options{End: end, Days: days, Scale: 0.45}
	es := eventstore.New(st)
	t0 := time.Now()
	if err := demo.Generate(o, func(evs []ingest.Event) error { return es.Load(ctx, evs) }); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %s", time.Since(t0))
	cat := demo.Catalog(o)
	c, _ := metrics.NewComputer(metrics.Options{Store: st, Catalog: &cat})
	var regs []Regression
	for _, r := range demo.Regressions(o) {
		k := r.Team
		if r.Scope == "service" {
			k = r.Service
		}
		regs = append(regs, Regression{Scope: r.Scope, Key: k, Measure: r.Measure, Start: r.Start})
	}
	src := newSeriesSource(c, st, 0)
	bo := BacktestOptions{Store: st, Computer: c, End: end, Days: days, Regressions: regs, ReplayStep: day}
	mk := func(name, method string, step, window, hist, base, recent time.Duration, h, l float64) []Rule {
		var out []Rule
		for _, r := range DetectionRules(regs) {
			r.Name = name + "/" + r.Measure
			r.Method, r.Step, r.Window, r.History, r.Baseline, r.Recent = method, Duration(step), Duration(window), Duration(hist), Duration(base), Duration(recent)
			if method == "cusum" {
				r.H = h
			} else {
				r.L = l
			}
			out = append(out, r.withDefaults())
		}
		return out
	}
	variants := map[string][]Rule{
		"daily7-cusum5":   mk("daily7-cusum5", "cusum", day, 7*day, 63*day, 49*day, 3*day, 5, 0),
		"weekly-cusum5":   mk("weekly-cusum5", "cusum", 7*day, 7*day, 126*day, 98*day, 7*day, 5, 0),
		"weekly-cusum8":   mk("weekly-cusum8", "cusum", 7*day, 7*day, 126*day, 98*day, 7*day, 8, 0),
		"weekly-ewma3":    mk("weekly-ewma3", "ewma", 7*day, 7*day, 126*day, 98*day, 7*day, 0, 3),
		"weekly-ewma4":    mk("weekly-ewma4", "ewma", 7*day, 7*day, 126*day, 98*day, 7*day, 0, 4),
		"weekly28-ewma3":  mk("weekly28-ewma3", "ewma", 7*day, 28*day, 126*day, 98*day, 7*day, 0, 3),
		"weekly28-cusum8": mk("weekly28-cusum8", "cusum", 7*day, 28*day, 126*day, 98*day, 7*day, 8, 0),
		"daily1-ewma3":    mk("daily1-ewma3", "ewma", day, day, 63*day, 49*day, 1*day, 0, 3),
	}
	for _, name := range sortedKeys(variants) {
		t0 := time.Now()
		rep := &BacktestReport{From: end.Add(-time.Duration(days) * day), To: end}
		if err := replay(ctx, src, bo, variants[name], rep); err != nil {
			t.Fatal(err)
		}
		det := ""
		for _, g := range rep.Regressions {
			det += fmt.Sprintf(" %s:%v/%s", g.Key, g.Detected, g.Delay)
		}
		t.Logf("%-16s from %s alerts=%d tp=%d precision=%.2f recall=%.2f median=%s %s (%s)", name, rep.ReplayFrom.Format("01-02"), rep.Alerts, rep.TruePositives, rep.Precision, rep.Recall, rep.MedianDelay, det, time.Since(t0))
	}
}

package alerting

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries/chtest"
)

// history is a deterministic organisation for rule tests, ending at end:
//   - checkout deploys daily for 16 weeks; its share of failures rises
//     from 2% to 14% (a failure whenever the accumulated rate passes a
//     whole number, and one three days before the end), so change failure
//     rate trends up;
//   - ledger deploys daily without failing;
//   - search opens 0, 1 or 2 incidents a day for 9 weeks, then 6 a day for
//     the last 5 days.
func history(end time.Time) []ingest.Event {
	var evs []ingest.Event
	days := 112
	acc := 0.0
	evs = append(evs, deployments("checkout", end, days, func(i int) bool {
		p := 0.02 + 0.12*float64(i)/float64(days-1)
		before := math.Floor(acc)
		acc += p
		return math.Floor(acc) > before || i == days-3
	})...)
	evs = append(evs, deployments("ledger", end, days, func(int) bool { return false })...)
	n := 0
	for d := 0; d < 68; d++ {
		count := d % 3
		if d >= 63 {
			count = 6
		}
		for k := range count {
			n++
			evs = append(evs, ingest.Event{ID: fmt.Sprintf("inc-%d", n), Source: "test", Type: ingest.TypeIncidentOpened,
				Time: end.Add(-time.Duration(68-d)*day + time.Duration(9+k)*time.Hour), Subject: fmt.Sprintf("INC%d", n), Service: "search"})
		}
	}
	return evs
}

func evaluationRules() []Rule {
	return []Rule{
		{Name: "cfr-forecast", Kind: KindForecast, Measure: "change_failure_rate", Target: ptr(0.15), Horizon: Duration(28 * day),
			History: Duration(112 * day), Step: Duration(7 * day), Window: Duration(28 * day)},
		{Name: "cfr-now", Kind: KindThreshold, Measure: "change_failure_rate", Op: ">", Threshold: ptr(0.1), For: Duration(2 * time.Hour)},
		{Name: "incident-surge", Kind: KindAnomaly, Measure: "incidents_opened", Method: "cusum", Window: Duration(day),
			History: Duration(63 * day), Baseline: Duration(56 * day), Recent: Duration(3 * day)},
		{Name: "incident-rate", Kind: KindAnomaly, Measure: "incidents_opened", Method: "poisson",
			History: Duration(63 * day), Baseline: Duration(56 * day), Recent: Duration(3 * day)},
		{Name: "cfr-budget", Kind: KindBurnRate, Measure: "change_failure_rate", SLO: 0.9,
			Windows: []BurnWindow{{Long: Duration(14 * day), Short: Duration(7 * day), Factor: 1}}},
		{Name: "ledger-quiet", Kind: KindThreshold, Measure: "deployment_frequency_per_day", Op: "<", Threshold: ptr(0.5), Service: "ledger"},
	}
}

// TestEvaluateGolden evaluates every kind of rule over a stored history on
// both engines: the alerts, their lifecycle and their explanations are
// golden, and the same on both.
func TestEvaluateGolden(t *testing.T) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			st := eng.Store
			loadEvents(t, st, history(end))
			clock := newClock(end.Add(9 * time.Hour))
			e, err := New(Options{Store: st, Computer: computer(t, st), DataDir: t.TempDir(), Clock: clock.Now,
				Config: Config{Rules: evaluationRules()}})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Evaluate(context.Background()); err != nil {
				t.Fatal(err)
			}
			pending := 0
			for _, a := range e.Alerts() {
				if a.Rule == "cfr-now" && a.State == StatePending {
					pending++
				}
			}
			if pending != 1 {
				t.Errorf("cfr-now should wait for 2h (pending), got %+v", e.Alerts())
			}
			clock.Advance(2 * time.Hour)
			if err := e.Evaluate(context.Background()); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, a := range e.Alerts() {
				fmt.Fprintf(&b, "%s %s %s %s: %s\n", a.State, a.Rule, a.Fingerprint, labelText(a.Labels), a.Explanation)
				if a.Rule == "cfr-forecast" {
					fmt.Fprintf(&b, "  chosen by backtest: %s (MASE %s, coverage %s), forecast %s, interval %s, crossing %s\n",
						a.Annotations["model"], a.Annotations["mase"], a.Annotations["coverage"], a.Annotations["forecast"],
						a.Annotations["interval"], a.Annotations["crossing"])
				}
			}
			goldenCompare(t, "evaluated.golden", b.String())
			if got := e.Pending(); got != 0 {
				t.Errorf("%d notifications queued with no receiver", got)
			}
		})
	}
}

func labelText(l map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(l) {
		parts = append(parts, k+"="+l[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// TestLifecycle walks an alert through pending, firing and resolved, and
// checks the fingerprint is stable and notifications follow transitions.
func TestLifecycle(t *testing.T) {
	st := chtest.NewStore(t, chtest.Embedded(t))
	clock := newClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	e, err := New(Options{Store: st, DataDir: t.TempDir(), Clock: clock.Now, Config: Config{
		Receivers: []Receiver{{Name: "r", URL: "http://127.0.0.1:1/"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := Rule{Name: "cfr", Kind: KindThreshold, Measure: "change_failure_rate", Op: ">", Threshold: ptr(0.1), For: Duration(time.Hour)}.withDefaults()
	labels := ruleLabels(r, "checkout")
	fp := Fingerprint(r.Name, labels)
	if fp != Fingerprint("cfr", map[string]string{"service": "checkout", "severity": "warning", "measure": "change_failure_rate", "alertname": "cfr"}) {
		t.Fatal("the fingerprint depends on label order")
	}
	if fp == Fingerprint("cfr2", labels) {
		t.Fatal("the fingerprint ignores the rule")
	}
	step := func(active bool, advance time.Duration, want string, notifications int) {
		t.Helper()
		clock.Advance(advance)
		e.mu.Lock()
		e.applyLocked(r, []observation{{Key: "checkout", Labels: labels, Active: active, Value: 0.2}}, clock.Now())
		e.mu.Unlock()
		state := "none"
		for _, a := range e.Alerts() {
			state = a.State
		}
		if state != want || e.Pending() != notifications {
			t.Fatalf("state %s with %d notifications, want %s with %d", state, e.Pending(), want, notifications)
		}
	}
	step(true, 0, StatePending, 0)
	step(false, 10*time.Minute, "none", 0) // cleared before it fired
	step(true, 0, StatePending, 0)
	step(true, 30*time.Minute, StatePending, 0)
	step(true, 30*time.Minute, StateFiring, 1)
	step(true, time.Hour, StateFiring, 1) // no repeat
	step(false, time.Hour, StateResolved, 2)
	step(false, 25*time.Hour, "none", 2) // retention over
}

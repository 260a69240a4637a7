package dashboards

import (
	"context"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
)

// TestClickHousePanelsReturnRows runs every ClickHouse query of every
// dashboard (panels and variables), expanded as Grafana and the plugin
// expand them, on both engines over the demo organisation.
func TestClickHousePanelsReturnRows(t *testing.T) {
	ds := build(t)
	var chTargets []target
	for _, tg := range targets(t, ds) {
		if tg.Kind == ClickHousePluginID {
			chTargets = append(chTargets, tg)
		}
	}
	if len(chTargets) < 7 {
		t.Fatalf("only %d ClickHouse queries in the dashboards", len(chTargets))
	}
	var services []string
	for name := range demo.Catalog(demo.Options{}).Services {
		services = append(services, name)
	}
	sort.Strings(services)
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			loadDemo(t, e.Store, demoEnd, 60)
			g := grafana{
				from: demoEnd.Add(-30 * 24 * time.Hour), to: demoEnd,
				vars: map[string][]string{"database": {e.Store.Database()}, "service": services},
			}
			// The environment drop-down's own query gives its values.
			envs := runSQL(t, e.Store, g, chTargets, "variable environment")
			g.vars["environment"] = envs.col(t, "environment")
			for _, tg := range chTargets {
				t.Run(tg.Dashboard+"/"+tg.Panel, func(t *testing.T) {
					sql, err := g.clickhouse(tg.Query)
					if err != nil {
						t.Fatal(err)
					}
					res, err := e.Store.Engine().Query(context.Background(), sql)
					if err != nil {
						t.Fatalf("%v\n%s", err, sql)
					}
					if res.Len() == 0 {
						t.Fatalf("no rows over 30 days of demo data:\n%s", sql)
					}
				})
			}
		})
	}
}

type rows struct{ *queries.Result }

func (r rows) col(tb testing.TB, name string) []string {
	tb.Helper()
	if !r.Has(name) {
		tb.Fatalf("no column %s in %v", name, r.Columns)
	}
	out := make([]string, r.Len())
	for i := range out {
		out[i] = r.String(i, name)
	}
	return out
}

func runSQL(tb testing.TB, st *queries.Store, g grafana, ts []target, panel string) rows {
	tb.Helper()
	for _, tg := range ts {
		if tg.Panel != panel {
			continue
		}
		sql, err := g.clickhouse(tg.Query)
		if err != nil {
			tb.Fatal(err)
		}
		res, err := st.Engine().Query(context.Background(), sql)
		if err != nil {
			tb.Fatalf("%s: %v\n%s", panel, err, sql)
		}
		return rows{res}
	}
	tb.Fatalf("no query %q in the dashboards", panel)
	return rows{}
}

// sqlFor renders a drill-down statement for a store, expanded for g.
func sqlFor(tb testing.TB, name string, g grafana) string {
	tb.Helper()
	s, err := queries.DashboardSQL(name, "${database}")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := g.clickhouse(s)
	if err != nil {
		tb.Fatal(err)
	}
	if strings.Contains(out, "$") {
		tb.Fatalf("unexpanded reference left in:\n%s", out)
	}
	return out
}

// TestDrilldownsAgreeWithMeasures keeps the drill-down lists honest: the
// changes list gives the change lead time measure's samples and median,
// and the failures list the failed deployments, the unrecovered ones and
// the recovery median, on both engines. A drill-down that drifted from the
// measure (devlake's failing) would fail here.
func TestDrilldownsAgreeWithMeasures(t *testing.T) {
	from, to := demoEnd.Add(-30*24*time.Hour), demoEnd
	cat := demo.Catalog(demo.Options{})
	var services []string
	for name := range cat.Services {
		services = append(services, name)
	}
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			loadDemo(t, e.Store, demoEnd, 90)
			comp, err := metrics.NewComputer(metrics.Options{Store: e.Store, Catalog: &cat})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := comp.Compute(context.Background(), metrics.Query{From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			m := rep.Groups[0].Measures
			// The macros' filters are inclusive at both ends, the measures'
			// windows half-open: the same on whole-second event times.
			g := grafana{from: from, to: to.Add(-time.Second), vars: map[string][]string{
				"database": {e.Store.Database()}, "service": services, "environment": cat.Environments(),
			}}
			query := func(name string) *queries.Result {
				res, err := e.Store.Engine().Query(context.Background(), sqlFor(t, name, g))
				if err != nil {
					t.Fatal(err)
				}
				if res.Len() >= 5000 {
					t.Fatalf("%s: %d rows reach the LIMIT; shorten the window", name, res.Len())
				}
				return res
			}

			changes := query("changes")
			var leads []float64
			for i := 0; i < changes.Len(); i++ {
				leads = append(leads, changes.Float(i, "lead_time_seconds"))
			}
			want(t, "change_lead_time_samples", m, float64(len(leads)))
			want(t, "change_lead_time_median_seconds", m, median(leads))

			failures := query("failures")
			var rec []float64
			unrecovered := 0
			for i := 0; i < failures.Len(); i++ {
				if failures.Int(i, "recovered") == 1 {
					rec = append(rec, failures.Float(i, "recovery_seconds"))
				} else {
					unrecovered++
				}
			}
			want(t, "failed_deployments_unrecovered", m, float64(unrecovered))
			want(t, "failed_deployment_recovery_time_median_seconds", m, median(rec))
			if d, cfr := m["deployments"], m["change_failure_rate"]; d == nil || cfr == nil {
				t.Fatalf("no deployments in the window: %v", m)
			} else if got, wantN := float64(failures.Len()), *cfr**d; math.Abs(got-wantN) > 1e-6 {
				t.Errorf("failures list has %v rows, the change failure rate says %v of %v deployments", got, wantN, *d)
			}
			if len(leads) == 0 || failures.Len() == 0 {
				t.Fatalf("nothing compared: %d changes, %d failures", len(leads), failures.Len())
			}
		})
	}
}

func want(t *testing.T, name string, m map[string]*float64, got float64) {
	t.Helper()
	if m[name] == nil {
		t.Errorf("%s: measure is null, drill-down gives %v", name, got)
		return
	}
	if math.Abs(*m[name]-got) > 1e-6 {
		t.Errorf("%s: measure %v, drill-down %v", name, *m[name], got)
	}
}

// median is MEASURES.md's interpolated percentile at 0.5.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	pos := float64(len(s)-1) * 0.5
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	return s[lo] + (pos-math.Floor(pos))*(s[hi]-s[lo])
}

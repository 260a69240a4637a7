package dashboards

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// target is one query of a generated dashboard, or a variable's query.
type target struct {
	Dashboard, Panel string
	Kind             string // "prometheus" or ClickHousePluginID
	Query            string // PromQL or SQL, unexpanded
	Variable         bool
	Instant          bool
}

// targets lists every query of every dashboard: panel targets (rows'
// nested panels included) and query variables.
func targets(tb testing.TB, ds []Dashboard) []target {
	tb.Helper()
	type query struct {
		Datasource *struct{ Type string } `json:"datasource"`
		Expr       string                 `json:"expr"`
		RawSQL     string                 `json:"rawSql"`
		Instant    bool                   `json:"instant"`
	}
	type panel struct {
		Title   string  `json:"title"`
		Targets []query `json:"targets"`
		Panels  []panel `json:"panels"`
	}
	var out []target
	for _, d := range ds {
		var m struct {
			Panels     []panel `json:"panels"`
			Templating struct {
				List []struct {
					Type       string                 `json:"type"`
					Name       string                 `json:"name"`
					Query      any                    `json:"query"`
					Datasource *struct{ Type string } `json:"datasource"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(d.JSON, &m); err != nil {
			tb.Fatal(err)
		}
		var walk func([]panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				for _, q := range p.Targets {
					t := target{Dashboard: d.UID, Panel: p.Title, Instant: q.Instant}
					switch {
					case q.Datasource != nil && q.Datasource.Type == ClickHousePluginID:
						t.Kind, t.Query = ClickHousePluginID, q.RawSQL
					case q.Datasource != nil && q.Datasource.Type == "prometheus":
						t.Kind, t.Query = "prometheus", q.Expr
					default:
						tb.Fatalf("%s / %s: target with unknown data source %+v", d.UID, p.Title, q.Datasource)
					}
					out = append(out, t)
				}
				walk(p.Panels)
			}
		}
		walk(m.Panels)
		for _, v := range m.Templating.List {
			if v.Type != "query" {
				continue
			}
			s, _ := v.Query.(string)
			out = append(out, target{Dashboard: d.UID, Panel: "variable " + v.Name, Kind: v.Datasource.Type, Query: s, Variable: true})
		}
	}
	return out
}

// demoEnd is a fixed end for the demo history, so tests are repeatable.
var demoEnd = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// loadDemo fills st with days of the demo organisation ending at end.
func loadDemo(tb testing.TB, st *queries.Store, end time.Time, days int) {
	tb.Helper()
	es := eventstore.New(st)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var buf []ingest.Event
	err := demo.Generate(demo.Options{End: end, Days: days}, func(evs []ingest.Event) error {
		buf = append(buf, evs...)
		if len(buf) >= 20000 {
			if err := es.Load(ctx, buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = es.Load(ctx, buf)
	}
	if err != nil {
		tb.Fatalf("load demo: %v", err)
	}
}

func build(tb testing.TB) []Dashboard {
	tb.Helper()
	ds, err := Build(Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

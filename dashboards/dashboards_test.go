package dashboards

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// TestStrictReread decodes every dashboard with the SDK's strict
// unmarshalling (unknown fields, missing required fields and wrong types
// fail, in panels, options and queries, the ClickHouse ones included) and
// checks that encoding the result gives the same bytes back: nothing is
// dropped or invented on the way.
func TestStrictReread(t *testing.T) {
	ds := build(t)
	if len(ds) != 5 {
		t.Fatalf("%d dashboards, want 5", len(ds))
	}
	for _, d := range ds {
		t.Run(d.UID, func(t *testing.T) {
			got, err := Read(d.JSON)
			if err != nil {
				t.Fatal(err)
			}
			again, err := encode(*got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, d.JSON) {
				t.Errorf("re-encoded dashboard differs from the generated one")
			}
		})
	}
}

func TestReadRejects(t *testing.T) {
	d := build(t)[1] // delivery: Prometheus and ClickHouse panels
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown dashboard field", `"schemaVersion": 42`, `"schemaVersion": 42, "colour": 1`, "unexpected field"},
		{"unknown ClickHouse query field", `"editorType": "sql"`, `"editorType": "sql", "sqlText": "x"`, "sqlText"},
		{"ClickHouse query without SQL", `"editorType": "sql"`, `"editorType": "builder"`, "only sql"},
		{"wrong type", `"refresh": "5m"`, `"refresh": 5`, "refresh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := strings.Replace(string(d.JSON), tc.from, tc.to, 1)
			if b == string(d.JSON) {
				t.Fatalf("%q not in the dashboard", tc.from)
			}
			_, err := Read([]byte(b))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

// TestEveryMeasureIsShown checks that panels come from the catalogue: each
// measure has a stat on the overview and a time series on its family's
// dashboard, and a measure added to the catalogue appears with no edit.
func TestEveryMeasureIsShown(t *testing.T) {
	defs := append([]metrics.Definition{}, metrics.Definitions...)
	// Measures the catalogue does not have (yet): they must appear too.
	defs = append(defs,
		metrics.Definition{Name: "test_tickets_opened", Unit: "count", Family: "itsm", Description: "Tickets."},
		metrics.Definition{Name: "test_fixed_rate", Unit: "ratio", Family: "itsm", Description: "Fixed first time."},
		metrics.Definition{Name: "test_wait_median_seconds", Unit: "seconds", Family: "flow", Description: "Waiting."},
	)
	ds, err := Build(Options{Definitions: defs})
	if err != nil {
		t.Fatal(err)
	}
	exprs := map[string]string{}
	for _, tg := range targets(t, ds) {
		exprs[tg.Dashboard] += tg.Query + "\n"
	}
	home := map[string]string{"dora": UIDDelivery, "itsm": UIDService, "flow": UIDFlow}
	for _, d := range defs {
		name := metrics.PromName(d) + "{"
		if !strings.Contains(exprs[UIDExecutive], name) {
			t.Errorf("%s: not on the executive overview", d.Name)
		}
		if !strings.Contains(exprs[home[d.Family]], name) {
			t.Errorf("%s: not on %s", d.Name, home[d.Family])
		}
	}
	if !strings.Contains(exprs[UIDExecutive], "throughline_test_fixed_rate_ratio{") {
		t.Error("ratio measures must use their _ratio Prometheus name")
	}
}

func TestThresholdsFollowTiers(t *testing.T) {
	tiers, err := metrics.LoadTierTable(2023)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		measure string
		values  map[float64]string // value -> colour Grafana shows
	}{
		{"deployment_frequency_per_day", map[float64]string{2: "dark-green", 0.5: "green", 0.05: "orange", 0.01: "red"}},
		{"change_lead_time_median_seconds", map[float64]string{3600: "dark-green", 2 * 86400: "green", 10 * 86400: "orange", 40 * 86400: "red"}},
		{"change_failure_rate", map[float64]string{0.01: "dark-green", 0.07: "green", 0.12: "orange", 0.5: "red"}},
	} {
		t.Run(tc.measure, func(t *testing.T) {
			d, _ := metrics.Lookup(tc.measure)
			cfg, err := thresholds(d, tiers).Build()
			if err != nil {
				t.Fatal(err)
			}
			for v, want := range tc.values {
				got := ""
				for _, s := range cfg.Steps { // Grafana: the last step whose value <= v
					if s.Value == nil || *s.Value <= v {
						got = s.Color
					}
				}
				if got != want {
					t.Errorf("%v shows %s, want %s (tier %s)", v, got, want, tiers.Tier(tc.measure, v))
				}
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"zero value", Options{}, ""},
		{"bad database", Options{Database: "thr-oughline"}, "Options.Database"},
		{"bad uid", Options{PrometheusUID: "a b"}, "Options.PrometheusUID"},
		{"duplicate measure", Options{Definitions: []metrics.Definition{{Name: "x"}, {Name: "x"}}}, "defined twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.o)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
}

func TestMount(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	m := Mount(Options{})
	r := gin.New()
	m.Register(r.Group("/api/v1"))
	hs := httptest.NewServer(r)
	defer hs.Close()
	for _, p := range []string{"/api/v1/dashboards", "/api/v1/dashboards/{uid}"} {
		if _, ok := m.Paths[p]; !ok {
			t.Errorf("no OpenAPI path item for %s", p)
		}
	}
	get := func(path string) (int, []byte) {
		res, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	code, body := get("/api/v1/dashboards")
	var list struct {
		Dashboards []struct{ UID, Title, URL string }
	}
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || len(list.Dashboards) != 5 {
		t.Fatalf("list: %d %v %s", code, err, body)
	}
	for _, d := range list.Dashboards {
		code, body := get(d.URL)
		if code != 200 {
			t.Fatalf("%s: %d", d.URL, code)
		}
		if _, err := Read(body); err != nil {
			t.Errorf("%s: %v", d.URL, err)
		}
	}
	if code, body := get("/api/v1/dashboards/nope"); code != 404 || !strings.Contains(string(body), "no dashboard nope") {
		t.Errorf("unknown uid: %d %s", code, body)
	}
}

// TestExpander pins the test's expansion of Grafana variables and the
// ClickHouse plugin's macros to what Grafana and the plugin produce.
func TestExpander(t *testing.T) {
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	g := grafana{from: from, to: from.Add(24 * time.Hour), rateInterval: "1m",
		vars: map[string][]string{"service": {"a.b", "it's"}, "database": {"tl"}}}
	for _, tc := range []struct{ name, in, want string }{
		{"time filter", "WHERE $__timeFilter(time)", "WHERE time >= toDateTime(1790812800) AND time <= toDateTime(1790899200)"},
		{"from and to", "$__fromTime, $__toTime", "toDateTime(1790812800), toDateTime(1790899200)"},
		{"sqlstring", "service IN (${service:sqlstring})", "service IN ('a.b','it''s')"},
		{"database", "FROM ${database}.events", "FROM tl.events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := g.clickhouse(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if got, _ := g.prometheus(`x{service=~"$service"}[$__range]`); got != `x{service=~"(a\\.b|it's)"}[86400s]` {
		t.Errorf("prometheus: %s", got)
	}
	if _, err := g.clickhouse("$__timeGroup(time, 1h)"); err == nil {
		t.Error("an unknown macro must fail, not pass through")
	}
}

// TestEveryDashboardStatementIsUsed keeps queries/sql/dashboards free of
// dead SQL, and checks DashboardSQL's refusals.
func TestEveryDashboardStatementIsUsed(t *testing.T) {
	names, err := queries.DashboardStatements()
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, tg := range targets(t, build(t)) {
		all.WriteString(tg.Query + "\n")
	}
	for _, n := range names {
		sql, err := queries.DashboardSQL(n, "${database}")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(all.String(), sql) {
			t.Errorf("queries/sql/dashboards/%s.sql is used by no panel or variable", n)
		}
		if strings.Contains(sql, "{{") || strings.Contains(sql, "-- ") {
			t.Errorf("%s: template or comment left in the panel SQL", n)
		}
	}
	if _, err := queries.DashboardSQL("nope", "throughline"); err == nil || !strings.Contains(err.Error(), "have ") {
		t.Errorf("unknown statement: %v", err)
	}
	if _, err := queries.DashboardSQL("deployments", "x; DROP TABLE y"); err == nil {
		t.Error("a database name that is neither an identifier nor a variable must be refused")
	}
	if s, err := queries.DashboardSQL("deployments", "prod_db"); err != nil || !strings.Contains(s, "FROM prod_db.events FINAL") {
		t.Errorf("fixed database: %v\n%s", err, s)
	}
}

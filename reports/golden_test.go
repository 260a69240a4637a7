package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries/chtest"
)

// goldenCase is one report of the demo organisation kept as golden JSON
// and Markdown under testdata/reports.
type goldenCase struct {
	name   string
	scope  string
	period string
	zone   string
}

var goldenCases = []goldenCase{
	{name: "org-last-week", scope: "org", period: "last-week", zone: "UTC"},
	{name: "team-conversion-last-28d", scope: "team:conversion", period: "last-28d", zone: "Europe/London"},
	{name: "product-finance-february", scope: "product:finance", period: "2026-02-01..2026-02-28", zone: "UTC"},
}

func (g goldenCase) request(tb testing.TB) Request {
	tb.Helper()
	sc, err := ParseScope(g.scope)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := ParsePeriod(g.period)
	if err != nil {
		tb.Fatal(err)
	}
	loc, err := time.LoadLocation(g.zone)
	if err != nil {
		tb.Fatal(err)
	}
	return Request{Scope: sc, Period: p, At: fixedNow, Location: loc}
}

func goldenPath(name, ext string) string {
	return filepath.Join("..", "testdata", "reports", name+"."+ext)
}

// TestReportsOnDemoData builds reports of the demo organisation on both
// engines: golden content, the same report from each engine, the
// incident and change summaries against the events themselves, and every
// number against a direct Compute.
func TestReportsOnDemoData(t *testing.T) {
	engines := chtest.Engines(t)
	builders := map[string]*Builder{}
	for _, e := range engines {
		loadDemo(t, e.Store)
		builders[e.Name] = newBuilder(t, e.Store)
	}
	ctx := context.Background()

	built := map[string]map[string]*Report{} // engine -> case -> report
	for _, e := range engines {
		built[e.Name] = map[string]*Report{}
	}
	build := func(t *testing.T, engine string, g goldenCase) *Report {
		t.Helper()
		if r, ok := built[engine][g.name]; ok {
			return r
		}
		r, err := builders[engine].Build(ctx, g.request(t))
		if err != nil {
			t.Fatalf("%s on %s: %v", g.name, engine, err)
		}
		built[engine][g.name] = r
		return r
	}

	t.Run("golden", func(t *testing.T) {
		for _, g := range goldenCases {
			t.Run(g.name, func(t *testing.T) {
				rep := build(t, "embedded", g)
				for _, f := range []string{FormatJSON, FormatMarkdown} {
					var b bytes.Buffer
					if err := Render(&b, rep, f); err != nil {
						t.Fatal(err)
					}
					checkGolden(t, goldenPath(g.name, f), b.Bytes())
				}
			})
		}
	})

	t.Run("engines agree", func(t *testing.T) {
		for _, g := range goldenCases {
			t.Run(g.name, func(t *testing.T) {
				var a, b bytes.Buffer
				if err := RenderJSON(&a, build(t, "server", g)); err != nil {
					t.Fatal(err)
				}
				if err := RenderJSON(&b, build(t, "embedded", g)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Errorf("the server and the embedded engine give different reports:\n%s", firstDiff(a.String(), b.String()))
				}
			})
		}
	})

	t.Run("content", func(t *testing.T) {
		rep := build(t, "embedded", goldenCases[0])
		// What the demo's story and the window make certain, whatever
		// the catalogue of measures grows to.
		if got, want := rep.WindowLabel, "23 Feb – 1 Mar 2026"; got != want {
			t.Errorf("window %q, want %q", got, want)
		}
		if got, want := rep.PrevLabel, "16–22 Feb 2026"; got != want {
			t.Errorf("previous %q, want %q", got, want)
		}
		if len(rep.Trends) < 4 {
			t.Fatalf("%d trends, want the four keys at least", len(rep.Trends))
		}
		for _, tr := range rep.Trends {
			if len(tr.Points) != trendPeriods {
				t.Errorf("%s: %d points, want %d", tr.Measure, len(tr.Points), trendPeriods)
			}
			if last := tr.Points[len(tr.Points)-1]; !last.To.Equal(rep.Window.To) || !last.From.Equal(rep.Window.From) {
				t.Errorf("%s: last point %s..%s is not the report's window", tr.Measure, last.From, last.To)
			}
		}
		var n int
		for _, s := range rep.Sections {
			n += len(s.Measures)
		}
		if n != len(metrics.Definitions) {
			t.Errorf("%d measures in the sections, want every one of the %d definitions", n, len(metrics.Definitions))
		}
		if len(rep.Summary) == 0 || !bytes.Contains([]byte(rep.Summary[0]), []byte("The organisation deployed to production")) {
			t.Errorf("summary does not open with the deployments: %q", rep.Summary)
		}
		if rep.Incidents.OpenAtEnd == 0 {
			t.Error("the demo's scripted P1 on checkout is open at End, but no incident is open at the end of the period")
		}
		if rep.Forecasts.Available || rep.Forecasts.Note == "" {
			t.Errorf("without a Forecaster the forecast section must be unavailable with a note, got %+v", rep.Forecasts)
		}
	})

	t.Run("numbers are Compute's", func(t *testing.T) {
		for _, e := range engines {
			comp := newComputer(t, e.Store)
			for _, g := range goldenCases[:2] {
				rep := build(t, e.Name, g)
				check := func(w Window, want func(string) *float64) {
					got, err := comp.Compute(ctx, rep.Scope.apply(metrics.Query{From: w.From, To: w.To}))
					if err != nil {
						t.Fatal(err)
					}
					grp := single(got)
					for _, d := range metrics.Definitions {
						if !sameValue(grp.Measures[d.Name], want(d.Name)) {
							t.Errorf("%s %s %s %s: report has %v, Compute %v", e.Name, g.name, d.Name, w.From.Format(time.DateOnly), deref(want(d.Name)), deref(grp.Measures[d.Name]))
						}
					}
				}
				byName := map[string]Measure{}
				for _, s := range rep.Sections {
					for _, m := range s.Measures {
						byName[m.Name] = m
					}
				}
				check(rep.Window, func(n string) *float64 { return byName[n].Value })
				check(rep.Previous, func(n string) *float64 { return byName[n].Previous })
				for _, tr := range rep.Trends[:1] {
					for _, p := range tr.Points[:3] {
						got, err := comp.Compute(ctx, rep.Scope.apply(metrics.Query{From: p.From, To: p.To}))
						if err != nil {
							t.Fatal(err)
						}
						if v := single(got).Measures[tr.Measure]; !sameValue(v, p.Value) {
							t.Errorf("%s %s trend %s at %s: %v, Compute %v", e.Name, g.name, tr.Measure, p.Label, deref(p.Value), deref(v))
						}
					}
				}
			}
		}
	})

	t.Run("incidents and changes match the events", func(t *testing.T) {
		evs, err := demoEvents()
		if err != nil {
			t.Fatal(err)
		}
		cat := demoCatalog()
		for _, e := range engines {
			for _, g := range goldenCases {
				rep := build(t, e.Name, g)
				want := expectedIncidents(evs, cat, rep.Scope, rep.Window)
				got := rep.Incidents
				if got.Opened != want.Opened || got.OpenAtEnd != want.OpenAtEnd || got.CausedByDeployments != want.CausedByDeployments || !sameCounts(got.ByPriority, want.ByPriority) {
					t.Errorf("%s %s incidents: got opened %d, open %d, caused %d, %v; the events say %d, %d, %d, %v", e.Name, g.name,
						got.Opened, got.OpenAtEnd, got.CausedByDeployments, got.ByPriority, want.Opened, want.OpenAtEnd, want.CausedByDeployments, want.ByPriority)
				}
				wc := expectedChanges(evs, cat, rep.Scope, rep.Window)
				gc := rep.Changes
				if gc.Requests != wc.Requests || !sameCounts(gc.ByKind, wc.ByKind) || !sameCounts(gc.ByOutcome, wc.ByOutcome) || gc.AutoApproved != wc.AutoApproved || gc.Approved != wc.Approved {
					t.Errorf("%s %s changes: got %d %v %v approved %d/%d; the events say %d %v %v approved %d/%d", e.Name, g.name,
						gc.Requests, gc.ByKind, gc.ByOutcome, gc.Approved, gc.AutoApproved, wc.Requests, wc.ByKind, wc.ByOutcome, wc.Approved, wc.AutoApproved)
				}
				if want.Opened == 0 && g.scope == "org" {
					t.Errorf("%s: the demo has incidents every week, the events say none: the test is not testing", g.name)
				}
			}
		}
	})
}

// inScope says whether an event's thing belongs to the scope, by the
// catalog (the event's own team or product wins), as MEASURES.md says.
func inScope(e ingest.Event, c *metrics.Catalog, s Scope) bool {
	team, product := e.Team, e.Product
	if team == "" {
		team = c.TeamOf(e.Service)
	}
	if product == "" {
		product = c.ProductOf(e.Service)
	}
	portfolio := "unassigned"
	if p, ok := c.Products[product]; ok && p.Portfolio != "" {
		portfolio = p.Portfolio
	}
	switch s.Kind {
	case "team":
		return team == s.Name
	case "product":
		return product == s.Name
	case "portfolio":
		return portfolio == s.Name
	case "service":
		return e.Service == s.Name
	}
	return true
}

// expectedIncidents works the incident summary out from the events.
func expectedIncidents(evs []ingest.Event, c *metrics.Catalog, s Scope, w Window) IncidentSummary {
	type inc struct {
		opened             ingest.Event
		resolved, reopened time.Time
	}
	byID := map[string]*inc{}
	for _, e := range evs {
		if e.Type == ingest.TypeIncidentOpened && !e.Time.Before(w.From) && e.Time.Before(w.To) && inScope(e, c, s) {
			byID[e.Subject] = &inc{opened: e}
		}
	}
	for _, e := range evs {
		i, ok := byID[e.Subject]
		if !ok || !e.Time.Before(w.To) {
			continue
		}
		switch e.Type {
		case ingest.TypeIncidentResolved:
			if e.Time.After(i.resolved) {
				i.resolved = e.Time
			}
		case ingest.TypeIncidentReopened:
			if e.Time.After(i.reopened) {
				i.reopened = e.Time
			}
		}
	}
	out := IncidentSummary{}
	prio := map[string]int{}
	for _, i := range byID {
		out.Opened++
		if i.resolved.IsZero() || i.reopened.After(i.resolved) {
			out.OpenAtEnd++
		}
		if i.opened.Links["deployment"] != "" {
			out.CausedByDeployments++
		}
		p := i.opened.Priority
		if p == "" {
			p = "none"
		}
		prio[p]++
	}
	for _, k := range sortedKeys(prio) {
		out.ByPriority = append(out.ByPriority, Count{k, prio[k]})
	}
	return out
}

// expectedChanges works the change summary out from the events.
func expectedChanges(evs []ingest.Event, c *metrics.Catalog, s Scope, w Window) ChangeSummary {
	type cr struct {
		kind, outcome       string
		closedAt            time.Time
		approved, automated bool
	}
	byID := map[string]*cr{}
	for _, e := range evs {
		if e.Type == ingest.TypeChangeRequestCreated && !e.Time.Before(w.From) && e.Time.Before(w.To) && inScope(e, c, s) {
			byID[e.Subject] = &cr{kind: e.Kind}
		}
	}
	for _, e := range evs {
		r, ok := byID[e.Subject]
		if !ok || !e.Time.Before(w.To) {
			continue
		}
		switch e.Type {
		case ingest.TypeChangeRequestApproved:
			r.approved = true
			r.automated = r.automated || e.Automated
		case ingest.TypeChangeRequestClosed:
			if !e.Time.Before(r.closedAt) {
				r.closedAt, r.outcome = e.Time, e.Outcome
			}
		}
	}
	out := ChangeSummary{}
	kinds, outcomes := map[string]int{}, map[string]int{}
	for _, r := range byID {
		out.Requests++
		kinds[orDefault(r.kind, "unspecified")]++
		outcomes[orDefault(r.outcome, "open")]++
		if r.approved {
			out.Approved++
		}
		if r.automated {
			out.AutoApproved++
		}
	}
	for _, k := range sortedKeys(kinds) {
		out.ByKind = append(out.ByKind, Count{k, kinds[k]})
	}
	for _, k := range sortedKeys(outcomes) {
		out.ByOutcome = append(out.ByOutcome, Count{k, outcomes[k]})
	}
	return out
}

func sameCounts(a, b []Count) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameValue(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// checkGolden compares got with the golden file, or rewrites it with
// -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -run TestReportsOnDemoData -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./reports -update rewrites it after a deliberate change):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + itoa(i+1) + ":\n  want: " + string(w) + "\n  got:  " + string(g)
		}
	}
	return "(same lines)"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

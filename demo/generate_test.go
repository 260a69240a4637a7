package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
)

// testEnd is not on a midnight, so the first and last days are partial.
var testEnd = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)

// collect runs Generate and checks the streaming contract on the way:
// chunks of at most maxChunk events, in time order across chunks.
func collect(tb testing.TB, o Options) []ingest.Event {
	tb.Helper()
	var all []ingest.Event
	err := Generate(o, func(es []ingest.Event) error {
		if len(es) == 0 || len(es) > maxChunk {
			tb.Fatalf("chunk of %d events, want 1..%d", len(es), maxChunk)
		}
		all = append(all, es...)
		return nil
	})
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.Before(all[i-1].Time) {
			tb.Fatalf("event %d (%s %s) at %s is before its predecessor at %s", i, all[i].Type, all[i].ID, all[i].Time, all[i-1].Time)
		}
	}
	return all
}

func hashEvents(tb testing.TB, o Options) (string, int) {
	tb.Helper()
	h, n := sha256.New(), 0
	enc := json.NewEncoder(h)
	err := Generate(o, func(es []ingest.Event) error {
		n += len(es)
		for i := range es {
			if err := enc.Encode(&es[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func TestGenerateIsDeterministic(t *testing.T) {
	o := Options{Seed: 7, End: testEnd, Scale: 1}
	a, n := hashEvents(t, o)
	b, m := hashEvents(t, o)
	if a != b || n != m {
		t.Fatalf("two runs differ: %s (%d events) and %s (%d events)", a, n, b, m)
	}
	if c, _ := hashEvents(t, Options{Seed: 8, End: testEnd, Scale: 1}); c == a {
		t.Fatal("seeds 7 and 8 gave the same events")
	}
	if d, _ := hashEvents(t, Options{End: testEnd}); d == a {
		t.Fatal("the default seed gave the events of seed 7")
	}
	if d, _ := hashEvents(t, Options{Seed: 1, End: testEnd}); d != mustHash(t, Options{End: testEnd, Days: 365, Scale: 1}) {
		t.Fatal("zero options do not take the documented defaults")
	}
}

func mustHash(tb testing.TB, o Options) string {
	h, _ := hashEvents(tb, o)
	return h
}

func TestGenerateEventsAreValid(t *testing.T) {
	for _, tc := range []struct {
		name string
		give Options
	}{
		{name: "default year", give: Options{End: testEnd}},
		{name: "one day, one service", give: Options{End: testEnd, Days: 1, Scale: 0.05}},
		{name: "end off the second, scale 2.5", give: Options{Seed: 3, End: time.Date(2026, 3, 1, 9, 17, 42, 5e8, time.FixedZone("CET", 3600)), Days: 40, Scale: 2.5}},
		{name: "over new year", give: Options{Seed: 4, End: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), Days: 30}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := collect(t, tc.give)
			o := tc.give.withDefaults()
			start, end := o.start(), o.End
			cat := Catalog(tc.give)
			if len(events) == 0 {
				t.Fatal("no events")
			}
			ids := map[[2]string]bool{}
			commits := map[string]time.Time{}
			deployments := map[string]time.Time{}
			for i, e := range events {
				n := e
				n.Commits = slices.Clone(e.Commits)
				n.Normalize()
				if !reflect.DeepEqual(n, e) {
					t.Fatalf("event %d is not normalised:\n got %+v\nwant %+v", i, e, n)
				}
				if err := n.Validate(); err != nil {
					t.Fatalf("event %d (%s %s) invalid: %v", i, e.Type, e.ID, err)
				}
				if e.Time.Before(start) || !e.Time.Before(end) {
					t.Fatalf("event %s at %s outside [%s, %s)", e.ID, e.Time, start, end)
				}
				if e.Time.Location() != time.UTC {
					t.Fatalf("event %s time %s not in UTC", e.ID, e.Time)
				}
				k := [2]string{e.Source, e.ID}
				if ids[k] {
					t.Fatalf("duplicate id %s in source %s", e.ID, e.Source)
				}
				ids[k] = true
				if _, ok := cat.Services[e.Service]; e.Service != "" && !ok {
					t.Fatalf("event %s names service %q that the catalog lacks", e.ID, e.Service)
				}
				switch e.Type {
				case ingest.TypeChangeCommitted:
					if len(e.Subject) != 40 || strings.Trim(e.Subject, "0123456789abcdef") != "" {
						t.Fatalf("commit subject %q is not a 40-hex SHA", e.Subject)
					}
					if cat.Services[e.Service].Repos[0] != e.Repo {
						t.Fatalf("commit %s: repo %s, catalog says %v", e.ID, e.Repo, cat.Services[e.Service].Repos)
					}
					commits[e.Subject] = e.Time
				case ingest.TypeDeploymentFinished:
					if len(e.Commits) == 0 {
						t.Fatalf("deployment %s has no commits", e.ID)
					}
					for _, c := range e.Commits {
						ct, ok := commits[c]
						if !ok {
							t.Fatalf("deployment %s runs commit %s that has no change.committed before it", e.ID, c)
						}
						if !ct.Before(e.Time) {
							t.Fatalf("deployment %s at %s runs commit %s made at %s", e.ID, e.Time, c, ct)
						}
					}
					deployments[e.Subject] = e.Time
				}
				if d, ok := e.Links["deployment"]; ok {
					dt, known := deployments[d]
					if !known || !dt.Before(e.Time) {
						t.Fatalf("%s links deployment %s that is not an earlier deployment", e.ID, d)
					}
				}
			}
		})
	}
}

func TestGenerateHasTheStatesMeasuresNeed(t *testing.T) {
	events := collect(t, Options{End: testEnd})
	last := map[string]string{} // incident → type of its last event
	done, started := map[string]bool{}, map[string]bool{}
	seen := map[string]int{}
	for _, e := range events {
		if strings.HasPrefix(e.Type, "incident.") {
			last[e.Subject] = e.Type
		}
		switch e.Type {
		case ingest.TypeWorkItemStarted:
			started[e.Subject] = true
		case ingest.TypeWorkItemDone:
			done[e.Subject] = true
		}
		for _, f := range []struct {
			name string
			ok   bool
		}{
			{"linked incident", e.Type == ingest.TypeIncidentOpened && e.Links["deployment"] != ""},
			{"unlinked incident", e.Type == ingest.TypeIncidentOpened && e.Links["deployment"] == ""},
			{"failed production deployment", e.Type == ingest.TypeDeploymentFinished && e.Environment == "production" && e.Outcome == "failure"},
			{"staging deployment", e.Type == ingest.TypeDeploymentFinished && e.Environment == "staging"},
			{"rollback", e.Kind == "rollback" && e.Links["incident"] != ""},
			{"hotfix", e.Kind == "hotfix" && e.Links["change_request"] != ""},
			{"change request of a deployment", e.Type == ingest.TypeDeploymentFinished && e.Links["change_request"] != ""},
			{"self-healed incident", e.Type == ingest.TypeIncidentResolved && e.Automated},
			{"reopened incident", e.Type == ingest.TypeIncidentReopened},
			{"standard change", e.Type == ingest.TypeChangeRequestCreated && e.Kind == "standard"},
			{"normal change", e.Type == ingest.TypeChangeRequestCreated && e.Kind == "normal"},
			{"emergency change", e.Type == ingest.TypeChangeRequestCreated && e.Kind == "emergency"},
			{"automated approval", e.Type == ingest.TypeChangeRequestApproved && e.Automated},
			{"manual approval", e.Type == ingest.TypeChangeRequestApproved && !e.Automated},
			{"failed change", e.Type == ingest.TypeChangeRequestClosed && e.Outcome == "failure"},
			{"commit for a work item", e.Type == ingest.TypeChangeCommitted && e.Links["work_item"] != ""},
			{"failed build", e.Type == ingest.TypeBuildFinished && e.Outcome == "failure"},
			{"pagerduty", e.Source == "pagerduty"},
			{"servicenow incident", e.Source == "servicenow" && e.Type == ingest.TypeIncidentOpened},
			{"P1", e.Priority == "P1"}, {"P4", e.Priority == "P4"},
			{"defect", e.Kind == "defect"}, {"risk", e.Kind == "risk"}, {"debt", e.Kind == "debt"}, {"feature", e.Kind == "feature"},
		} {
			if f.ok {
				seen[f.name]++
			}
		}
	}
	for _, name := range []string{"linked incident", "unlinked incident", "failed production deployment", "staging deployment",
		"rollback", "hotfix", "change request of a deployment", "self-healed incident", "reopened incident", "standard change",
		"normal change", "emergency change", "automated approval", "manual approval", "failed change", "commit for a work item",
		"failed build", "pagerduty", "servicenow incident", "P1", "P4", "defect", "risk", "debt", "feature"} {
		if seen[name] == 0 {
			t.Errorf("no %s in a year of the default organisation", name)
		}
	}
	open := 0
	for _, typ := range last {
		if typ != ingest.TypeIncidentResolved {
			open++
		}
	}
	if open == 0 {
		t.Error("no incident is still open at End")
	}
	inProgress := 0
	for k := range started {
		if !done[k] {
			inProgress++
		}
	}
	if inProgress == 0 {
		t.Error("no work item is in progress at End")
	}
}

// TestScriptedOutageIsUnrecovered checks the failed deployment that is
// still unrecovered at End: its linked incident has no resolution.
func TestScriptedOutageIsUnrecovered(t *testing.T) {
	for _, o := range []Options{{End: testEnd}, {End: testEnd, Days: 7, Scale: 0.05}, {Seed: 9, End: testEnd, Days: 30, Scale: 3}} {
		events := collect(t, o)
		resolved := map[string]bool{}
		for _, e := range events {
			if e.Type == ingest.TypeIncidentResolved {
				resolved[e.Subject] = true
			}
		}
		unrecovered := 0
		for _, e := range events {
			if e.Type == ingest.TypeIncidentOpened && e.Links["deployment"] != "" && !resolved[e.Subject] {
				unrecovered++
			}
		}
		if want := max(1, int(math.Round(o.Scale))); unrecovered < want {
			t.Errorf("%+v: %d linked incidents open at End, want at least %d (one scripted per copy of the organisation)", o, unrecovered, want)
		}
	}
}

func TestCountScalesLinearly(t *testing.T) {
	per := map[float64]float64{}
	for _, scale := range []float64{0.5, 1, 2, 5} {
		n, err := Count(Options{End: testEnd, Days: 91, Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		per[scale] = float64(n) / scale
	}
	for scale, v := range per {
		if r := v / per[1]; r < 0.85 || r > 1.15 {
			t.Errorf("Scale %g: %.0f events per unit of scale, %.2f times Scale 1's %.0f", scale, v, r, per[1])
		}
	}
	n, err := Count(Options{End: testEnd})
	if err != nil {
		t.Fatal(err)
	}
	if n < 60_000 || n > 120_000 {
		t.Errorf("default organisation: %d events a year, want 60k–120k", n)
	}
	if got := len(collect(t, Options{End: testEnd})); got != n {
		t.Errorf("Count = %d, Generate emits %d", n, got)
	}
}

func TestCatalog(t *testing.T) {
	for _, tc := range []struct {
		scale                                       float64
		services, teams, products, portfolios, caps int
	}{
		{scale: 0.05, services: 1, teams: 1, products: 1, portfolios: 1, caps: 4},
		{scale: 1, services: 20, teams: 8, products: 6, portfolios: 3, caps: 4},
		{scale: 10, services: 200, teams: 80, products: 60, portfolios: 12, caps: 4},
	} {
		c := Catalog(Options{Scale: tc.scale})
		if err := c.Validate(); err != nil {
			t.Fatalf("Scale %g: %v", tc.scale, err)
		}
		teams, products, portfolios := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for name, s := range c.Services {
			if len(s.Repos) != 1 || s.Repos[0] != "acme/"+name {
				t.Errorf("service %s: repos %v, want [acme/%s]", name, s.Repos, name)
			}
			teams[s.Team], products[s.Product], portfolios[s.Portfolio] = true, true, true
			if c.Products[s.Product].Portfolio != s.Portfolio {
				t.Errorf("product %s: portfolio %q, service %s says %q", s.Product, c.Products[s.Product].Portfolio, name, s.Portfolio)
			}
		}
		got := [5]int{len(c.Services), len(teams), len(products), len(portfolios), len(c.AssignmentGroups)}
		if want := [5]int{tc.services, tc.teams, tc.products, tc.portfolios, tc.caps}; got != want {
			t.Errorf("Scale %g: services, teams, products, portfolios, assignment groups = %v, want %v", tc.scale, got, want)
		}
		if !slices.Equal(c.ProductionEnvironments, []string{"production"}) {
			t.Errorf("production environments %v", c.ProductionEnvironments)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		give Options
		want string
	}{
		{name: "negative days", give: Options{Days: -1}, want: "Days"},
		{name: "too many days", give: Options{Days: maxDays + 1}, want: "Days"},
		{name: "negative scale", give: Options{Scale: -1}, want: "Scale"},
		{name: "NaN scale", give: Options{Scale: math.NaN()}, want: "Scale"},
		{name: "huge scale", give: Options{Scale: 1e6}, want: "Scale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Generate(tc.give, func([]ingest.Event) error { t.Fatal("emitted"); return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
	stop := errors.New("stop")
	calls := 0
	err := Generate(Options{End: testEnd, Days: 10}, func([]ingest.Event) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("emit error: got %v after %d calls, want stop after 1", err, calls)
	}
}

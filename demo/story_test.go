package demo

import (
	"slices"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
)

// history recomputes the few measures the injected story is about, straight
// from MEASURES.md, so that the trends doc.go promises are checked.
type history struct {
	cat       metrics.Catalog
	prod      []ingest.Event // production deployments, in time order
	linked    map[string]bool
	leads     []lead
	incidents []*incidentLife
}

type lead struct {
	service string
	at      time.Time
	d       time.Duration
}

type incidentLife struct {
	service, priority string
	opened, resolved  time.Time // resolved: the last resolution; zero when open
	linked, automated bool
}

func newHistory(tb testing.TB, o Options) *history {
	tb.Helper()
	h := &history{cat: Catalog(o), linked: map[string]bool{}}
	committed := map[string]time.Time{}
	shipped := map[[2]string]bool{} // (service, commit) reached production
	byID := map[string]*incidentLife{}
	for _, e := range collect(tb, o) {
		switch e.Type {
		case ingest.TypeChangeCommitted:
			committed[e.Subject] = e.Time
		case ingest.TypeDeploymentFinished:
			if e.Environment != "production" {
				continue
			}
			h.prod = append(h.prod, e)
			if e.Outcome != "success" {
				continue
			}
			for _, c := range e.Commits {
				if k := [2]string{e.Service, c}; !shipped[k] {
					shipped[k] = true
					h.leads = append(h.leads, lead{service: e.Service, at: e.Time, d: e.Time.Sub(committed[c])})
				}
			}
		case ingest.TypeIncidentOpened:
			if d := e.Links["deployment"]; d != "" {
				h.linked[d] = true
			}
			byID[e.Subject] = &incidentLife{service: e.Service, priority: e.Priority, opened: e.Time, linked: e.Links["deployment"] != ""}
			h.incidents = append(h.incidents, byID[e.Subject])
		case ingest.TypeIncidentResolved:
			byID[e.Subject].resolved, byID[e.Subject].automated = e.Time, e.Automated
		case ingest.TypeIncidentReopened:
			byID[e.Subject].resolved = time.Time{}
		}
	}
	return h
}

// scope is a team or a service; in says whether a service belongs to it.
type scope struct{ team, service string }

func (h *history) in(sc scope, service string) bool {
	if sc.service != "" {
		return service == sc.service
	}
	return h.cat.Services[service].Team == sc.team
}

func (h *history) changeFailureRate(sc scope, from, to time.Time) float64 {
	n, failed := 0, 0
	for _, d := range h.prod {
		if h.in(sc, d.Service) && !d.Time.Before(from) && d.Time.Before(to) {
			n++
			if d.Outcome == "failure" || h.linked[d.Subject] {
				failed++
			}
		}
	}
	return float64(failed) / float64(n)
}

func (h *history) deploymentsPerDay(sc scope, from, to time.Time) float64 {
	n := 0
	for _, d := range h.prod {
		if h.in(sc, d.Service) && d.Outcome == "success" && !d.Time.Before(from) && d.Time.Before(to) {
			n++
		}
	}
	return float64(n) / to.Sub(from).Hours() * 24
}

func (h *history) leadTimeMedian(sc scope, from, to time.Time) time.Duration {
	var ds []time.Duration
	for _, l := range h.leads {
		if h.in(sc, l.service) && !l.at.Before(from) && l.at.Before(to) {
			ds = append(ds, l.d)
		}
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// resolutionRatio is the median, over incidents opened in the window,
// resolved by people and caused by no known deployment, of resolution time
// ÷ the usual resolution time of their priority: the priority mix of a few
// incidents would drown a mean. (mttr_seconds selects incidents by their
// resolution instead, which delays what it shows by the resolution times.)
func (h *history) resolutionRatio(sc scope, from, to time.Time) float64 {
	var rs []float64
	for _, i := range h.incidents {
		if h.in(sc, i.service) && !i.linked && !i.automated && !i.resolved.IsZero() && !i.opened.Before(from) && i.opened.Before(to) {
			rs = append(rs, float64(i.resolved.Sub(i.opened))/float64(resolveMedian[i.priority]))
		}
	}
	slices.Sort(rs)
	return rs[len(rs)/2]
}

func (h *history) incidentsPerDay(sc scope, from, to time.Time) float64 {
	n := 0
	for _, i := range h.incidents {
		if h.in(sc, i.service) && !i.opened.Before(from) && i.opened.Before(to) {
			n++
		}
	}
	return float64(n) / to.Sub(from).Hours() * 24
}

// TestRegressionsShowInTheData compares each injected regression's measure
// over the eight weeks before its start with the last half of the time
// since (a ramp is strongest at the end).
func TestRegressionsShowInTheData(t *testing.T) {
	for _, o := range []Options{{End: testEnd}, {Seed: 2, End: testEnd, Scale: 2}} {
		h := newHistory(t, o)
		regs := Regressions(o)
		if want := 4 * int(o.withDefaults().Scale); len(regs) != want {
			t.Fatalf("Scale %g: %d regressions, want %d", o.Scale, len(regs), want)
		}
		for _, r := range regs {
			sc := scope{team: r.Team, service: r.Service}
			before0, before1 := r.Start.Add(-56*day), r.Start
			after0, after1 := r.Start.Add(testEnd.Sub(r.Start)/2), testEnd
			var before, after float64
			var ok bool
			switch r.Measure {
			case "change_failure_rate":
				before, after = h.changeFailureRate(sc, before0, before1), h.changeFailureRate(sc, after0, after1)
				ok = after > 1.8*before
			case "mttr_seconds":
				before, after = h.resolutionRatio(sc, before0, before1), h.resolutionRatio(sc, r.Start, after1)
				ok = after > 1.5*before
			case "deployment_frequency_per_day":
				before, after = h.deploymentsPerDay(sc, before0, before1), h.deploymentsPerDay(sc, r.Start, after1)
				ok = after < 0.5*before
			case "incidents_opened":
				before, after = h.incidentsPerDay(sc, before0, before1), h.incidentsPerDay(sc, r.Start, after1)
				ok = after > 2*before
			default:
				t.Fatalf("unexpected measure %s", r.Measure)
			}
			t.Logf("seed %d %s %s%s %s: %.3g before, %.3g after", o.Seed, r.Measure, r.Team, r.Service, r.Start.Format(time.DateOnly), before, after)
			if !ok {
				t.Errorf("%+v: %.3g before, %.3g after: the regression does not show", r, before, after)
			}
			if _, known := h.cat.Services[r.Service]; r.Service != "" && !known {
				t.Errorf("regression names service %s outside the catalog", r.Service)
			}
		}
	}
	if regs := Regressions(Options{End: testEnd, Days: 14}); len(regs) != 0 {
		t.Errorf("a 14-day window reports %d regressions; they all start earlier and are not injected", len(regs))
	}
}

// TestStory checks the organisation tells the story doc.go describes.
func TestStory(t *testing.T) {
	h := newHistory(t, Options{End: testEnd})
	start := testEnd.Add(-365 * day)
	quarter := 91 * day
	year := func(team string) (float64, time.Duration, float64) {
		sc := scope{team: team}
		return h.deploymentsPerDay(sc, start, testEnd), h.leadTimeMedian(sc, start, testEnd), h.changeFailureRate(sc, start, testEnd)
	}
	for _, team := range []string{"storefront", "conversion", "treasury", "mobile", "finance-core", "logistics", "platform-core", "data-eng"} {
		df, lt, cfr := year(team)
		t.Logf("%-13s %5.2f deployments/day, lead time %6.1f h, change failure rate %.3f", team, df, lt.Hours(), cfr)
	}
	for _, team := range []string{"storefront", "platform-core"} {
		if df, lt, cfr := year(team); df < 2 || lt > day || cfr > 0.06 { // two or three services, each deploying daily
			t.Errorf("%s is not elite: %.2f deployments/day, lead time %s, change failure rate %.3f", team, df, lt, cfr)
		}
	}
	if df, lt, cfr := year("finance-core"); df > 3.0/7 || lt < 7*day || cfr < 0.15 {
		t.Errorf("finance-core is not low: %.2f deployments/day, lead time %s, change failure rate %.3f", df, lt, cfr)
	}
	mobile := scope{team: "mobile"}
	first, last := h.leadTimeMedian(mobile, start, start.Add(quarter)), h.leadTimeMedian(mobile, testEnd.Add(-quarter), testEnd)
	t.Logf("mobile lead time: %.1f h in the first quarter, %.1f h in the last", first.Hours(), last.Hours())
	if last*3 > first {
		t.Errorf("mobile's lead time does not improve: %s in the first quarter, %s in the last", first, last)
	}
	weekday, weekend := 0, 0
	for _, i := range h.incidents {
		if w := i.opened.Weekday(); w == time.Saturday || w == time.Sunday {
			weekend++
		} else {
			weekday++
		}
	}
	if perDay := float64(weekday) / 5 / (float64(weekend) / 2); perDay < 1.8 {
		t.Errorf("incidents per weekday are %.2f times those per weekend day, want a clear weekly seasonality", perDay)
	}
}

package reports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// Report is everything a rendering shows, computed once: the HTML,
// Markdown and PDF are views of it and the JSON is it.
type Report struct {
	Title       string    `json:"title"`
	Schedule    string    `json:"schedule,omitempty"`
	Audience    string    `json:"audience,omitempty"`
	Scope       Scope     `json:"scope"`
	ScopeLabel  string    `json:"scope_label"`
	Period      string    `json:"period"`
	TimeZone    string    `json:"time_zone"`
	Window      Window    `json:"window"`
	WindowLabel string    `json:"window_label"`
	Previous    Window    `json:"previous"`
	PrevLabel   string    `json:"previous_label"`
	GeneratedAt time.Time `json:"generated_at"`
	TierTable   string    `json:"tier_table"`
	// Link is where the report is served (BaseURL/api/v1/reports/{name}).
	Link string `json:"link,omitempty"`
	// Summary is the plain-language summary, one paragraph per element.
	Summary   []string        `json:"summary"`
	Headlines []Measure       `json:"headlines"`
	Sections  []Section       `json:"sections"`
	Trends    []Trend         `json:"trends"`
	Movers    Movers          `json:"movers"`
	Incidents IncidentSummary `json:"incidents"`
	Changes   ChangeSummary   `json:"changes"`
	Forecasts ForecastSection `json:"forecasts"`
}

// Measure is one measure of the scope this period and the period before.
type Measure struct {
	Name         string   `json:"name"`
	Title        string   `json:"title"`
	Family       string   `json:"family"`
	Unit         string   `json:"unit"`
	Description  string   `json:"description"`
	Value        *float64 `json:"value"`
	Previous     *float64 `json:"previous"`
	Tier         *string  `json:"tier"`
	PreviousTier *string  `json:"previous_tier"`
	// Direction is 1 when higher is better, -1 when lower is, 0 when
	// neither (a volume or a mix).
	Direction int `json:"direction"`
	// Verdict is better, worse or same against the previous period; empty
	// when either value is missing or the direction is 0.
	Verdict         string `json:"verdict"`
	Display         string `json:"display"`
	PreviousDisplay string `json:"previous_display"`
	Change          string `json:"change"`
}

// Section is the measures of one family (dora, itsm, flow, ...).
type Section struct {
	Family   string    `json:"family"`
	Title    string    `json:"title"`
	Measures []Measure `json:"measures"`
}

// Trend is a measure over the last periods, oldest first; the last point
// is the report's period.
type Trend struct {
	Measure string  `json:"measure"`
	Title   string  `json:"title"`
	Unit    string  `json:"unit"`
	Points  []Point `json:"points"`
}

// Point is one period of a trend.
type Point struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Label   string    `json:"label"`
	Value   *float64  `json:"value"`
	Display string    `json:"display"`
}

// Forecaster says what the forecasts say about a scope at the end of a
// window. The alerting package will provide one; until then the report's
// forecast section is empty with a note. Forecasts must return when ctx
// ends.
type Forecaster interface {
	Forecasts(ctx context.Context, scope Scope, from, to time.Time) ([]Forecast, error)
}

// Forecast is one thing the forecasts say.
type Forecast struct {
	Measure  string `json:"measure"`
	Severity string `json:"severity"` // info, warning, critical
	Message  string `json:"message"`
}

// ForecastSection is the report's forecast section.
type ForecastSection struct {
	Available bool       `json:"available"`
	Note      string     `json:"note,omitempty"`
	Items     []Forecast `json:"items"`
}

// trendPeriods is how many periods the trend charts show.
const trendPeriods = 12

// BuilderOptions configure a Builder.
type BuilderOptions struct {
	Store    *queries.Store
	Computer *metrics.Computer
	// Catalog scopes the incident and change tables (default: the
	// Computer's, so that a team means the same as in the measures).
	Catalog *metrics.Catalog
	// Forecasts is optional (see Forecaster).
	Forecasts Forecaster
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Builder computes reports. It is safe for concurrent use.
type Builder struct {
	o BuilderOptions
}

// NewBuilder checks the options.
func NewBuilder(o BuilderOptions) (*Builder, error) {
	if o.Store == nil {
		return nil, errors.New("reports: BuilderOptions.Store is required")
	}
	if o.Computer == nil {
		return nil, errors.New("reports: BuilderOptions.Computer is required")
	}
	if o.Catalog == nil {
		o.Catalog = o.Computer.Catalog()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Builder{o: o}, nil
}

// Request says which report to build.
type Request struct {
	Scope  Scope
	Period Period
	// At is when the period is resolved (default now): last-week is the
	// week before the one At falls in.
	At time.Time
	// Location is the time zone of the report's days (default UTC).
	Location *time.Location
	Title    string
	Schedule string
	Audience string
	Link     string
}

// Build computes the report. Every measure comes from Computer.Compute:
// one call per trend period (the last two are this period and the one
// before) and one per period grouped by the scope's children.
func (b *Builder) Build(ctx context.Context, r Request) (*Report, error) {
	if r.Scope.Kind == "" {
		r.Scope = Scope{Kind: "org"}
	}
	if r.Period.kind == "" {
		r.Period, _ = ParsePeriod("last-week")
	}
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	now := b.o.Now()
	at := r.At
	if at.IsZero() {
		at = now
	}
	win, err := r.Period.Window(at, loc)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Title: r.Title, Schedule: r.Schedule, Audience: r.Audience, Scope: r.Scope,
		ScopeLabel: r.Scope.Label(), Period: r.Period.String(), TimeZone: loc.String(),
		Window: win, WindowLabel: win.label(loc), Previous: win.shift(1, loc),
		GeneratedAt: now.UTC().Truncate(time.Second), Link: r.Link,
		TierTable: fmt.Sprintf("DORA %d", b.o.Computer.Tiers().Year),
	}
	rep.PrevLabel = rep.Previous.label(loc)
	if rep.Title == "" {
		rep.Title = "Engineering performance: " + r.Scope.Label()
	}

	// The trend periods, oldest first; the last is the report's window.
	wins := make([]Window, trendPeriods)
	for k := range wins {
		wins[k] = win.shift(trendPeriods-1-k, loc)
	}
	overall := make([]metrics.Group, trendPeriods)
	var byChild [2]*metrics.Report
	var inc IncidentSummary
	var chg ChangeSummary
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for k, w := range wins {
		g.Go(func() error {
			rp, err := b.o.Computer.Compute(gctx, r.Scope.apply(metrics.Query{From: w.From, To: w.To}))
			if err != nil {
				return fmt.Errorf("measures for %s: %w", w.label(loc), err)
			}
			overall[k] = single(rp)
			return nil
		})
	}
	for i, w := range []Window{rep.Window, rep.Previous} {
		g.Go(func() error {
			rp, err := b.o.Computer.Compute(gctx, r.Scope.apply(metrics.Query{From: w.From, To: w.To, GroupBy: r.Scope.children()}))
			if err != nil {
				return fmt.Errorf("measures by %s for %s: %w", r.Scope.children(), w.label(loc), err)
			}
			byChild[i] = rp
			return nil
		})
	}
	g.Go(func() error {
		var err error
		inc, err = b.incidents(gctx, r.Scope, win)
		return err
	})
	g.Go(func() error {
		var err error
		chg, err = b.changes(gctx, r.Scope, win)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	tiers := b.o.Computer.Tiers()
	cur, prev := overall[trendPeriods-1], overall[trendPeriods-2]
	byName := map[string]Measure{}
	for _, d := range metrics.Definitions {
		m := measureOf(d, tiers, cur, prev)
		byName[d.Name] = m
		sec := sectionFor(rep, d.Family)
		sec.Measures = append(sec.Measures, m)
	}
	sortSections(rep.Sections)
	for _, name := range chartMeasures {
		d, ok := metrics.Lookup(name)
		if !ok {
			continue
		}
		rep.Headlines = append(rep.Headlines, byName[name])
		t := Trend{Measure: name, Title: title(d), Unit: d.Unit}
		for k, w := range wins {
			v := overall[k].Measures[name]
			t.Points = append(t.Points, Point{From: w.From, To: w.To, Label: w.short(loc), Value: v, Display: format(d.Unit, v)})
		}
		rep.Trends = append(rep.Trends, t)
	}
	rep.Movers = movers(r.Scope, byChild[0], byChild[1], tiers)
	rep.Incidents = inc
	chg.Deployments = byName["deployments"].Value
	rep.Changes = chg
	rep.Forecasts = b.forecasts(ctx, r.Scope, win)
	if rep.Summary, err = summarise(rep, byName); err != nil {
		return nil, err
	}
	if note := unknownScope(b.o.Catalog, r.Scope); note != "" {
		rep.Summary = append([]string{note}, rep.Summary...)
	}
	return rep, nil
}

// unknownScope says when the scope names a service, team, product or
// portfolio the catalogue does not know: a misspelt name would otherwise
// give a report of nothing, week after week, without a word of why.
func unknownScope(c *metrics.Catalog, s Scope) string {
	if c == nil || len(c.Services) == 0 || s.Kind == "org" || s.Name == "" {
		return ""
	}
	for name, svc := range c.Services {
		switch {
		case s.Kind == "service" && name == s.Name,
			s.Kind == "team" && svc.Team == s.Name,
			s.Kind == "product" && svc.Product == s.Name,
			s.Kind == "portfolio" && svc.Portfolio == s.Name:
			return ""
		}
	}
	if s.Kind == "product" || s.Kind == "portfolio" {
		for name, p := range c.Products {
			if s.Kind == "product" && name == s.Name || s.Kind == "portfolio" && p.Portfolio == s.Name {
				return ""
			}
		}
	}
	return fmt.Sprintf("Note: the catalogue has no %s named “%s”; only events that name it themselves are counted. Check the report's scope.", s.Kind, s.Name)
}

// single is the one group of an ungrouped report.
func single(r *metrics.Report) metrics.Group {
	for _, g := range r.Groups {
		if g.Key == "" {
			return g
		}
	}
	if len(r.Groups) > 0 {
		return r.Groups[0]
	}
	return metrics.Group{Measures: map[string]*float64{}, Tiers: map[string]*string{}}
}

func measureOf(d metrics.Definition, tiers *metrics.TierTable, cur, prev metrics.Group) Measure {
	dir := direction(d, tiers)
	v, p := cur.Measures[d.Name], prev.Measures[d.Name]
	return Measure{
		Name: d.Name, Title: title(d), Family: d.Family, Unit: d.Unit, Description: d.Description,
		Value: v, Previous: p, Tier: cur.Tiers[d.Name], PreviousTier: prev.Tiers[d.Name],
		Direction: dir, Verdict: verdict(dir, v, p),
		Display: format(d.Unit, v), PreviousDisplay: format(d.Unit, p), Change: change(d.Unit, v, p),
	}
}

func sectionFor(rep *Report, family string) *Section {
	for i := range rep.Sections {
		if rep.Sections[i].Family == family {
			return &rep.Sections[i]
		}
	}
	t, ok := familyTitles[family]
	if !ok {
		t = family
		if t == "" {
			t = "Other"
		}
	}
	rep.Sections = append(rep.Sections, Section{Family: family, Title: t})
	return &rep.Sections[len(rep.Sections)-1]
}

// sortSections puts the known families first, in their order, and keeps
// the catalogue's order of measures within each.
func sortSections(s []Section) {
	rank := func(f string) int {
		for i, x := range familyOrder {
			if x == f {
				return i
			}
		}
		return len(familyOrder)
	}
	sort.SliceStable(s, func(i, j int) bool {
		ri, rj := rank(s[i].Family), rank(s[j].Family)
		if ri != rj {
			return ri < rj
		}
		return ri == len(familyOrder) && s[i].Family < s[j].Family
	})
}

func (b *Builder) forecasts(ctx context.Context, s Scope, w Window) ForecastSection {
	if b.o.Forecasts == nil {
		return ForecastSection{Note: "Forecasts are not available yet: they arrive with predictive alerting.", Items: []Forecast{}}
	}
	items, err := b.o.Forecasts.Forecasts(ctx, s, w.From, w.To)
	if err != nil {
		// A report without forecasts is still worth sending.
		b.o.Logger.Warn("forecasts unavailable", "scope", s.String(), "err", err)
		return ForecastSection{Note: "Forecasts could not be computed for this report.", Items: []Forecast{}}
	}
	if items == nil {
		items = []Forecast{}
	}
	sec := ForecastSection{Available: true, Items: items}
	if len(items) == 0 {
		sec.Note = "The forecasts foresee no threshold crossed."
	}
	return sec
}

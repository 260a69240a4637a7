package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/alerting"
	"github.com/throughline/throughline/app"
	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// backtestCmd replays a stored history (the demo year with --demo) and
// reports forecast accuracy and alert detection.
func backtestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backtest", "Replays a stored history (with --demo, a year of the demo organisation) and reports\n"+
		"forecast accuracy per weekly series (MASE against the naive forecast, 95% interval coverage)\n"+
		"and, for the demo's injected regressions, alert precision, recall and detection delay.", stderr)
	var sf storeFlags
	sf.register(fs)
	useDemo := fs.Bool("demo", false, "fill an empty store with the demo year first, and score its injected regressions")
	days := fs.Int("days", 365, "length of the history replayed, in days")
	endFlag := fs.String("end", "", "end of the history, YYYY-MM-DD or RFC 3339 (default: the midnight before the latest event)")
	rulesPath := fs.String("rules", "", "YAML file with alerting rules (an `alerting:` section or a bare `rules:` list) to replay instead of the default detectors")
	groupBy := fs.String("group-by", "team", "grouping of the accuracy series: service, team, product or portfolio")
	measuresFlag := fs.String("measures", "", "comma-separated measures whose forecast accuracy is scored (default: the DORA keys and incidents_opened)")
	horizon := fs.Int("horizon", 1, "forecast horizon scored, in weeks")
	replayStep := fs.String("replay-step", "7d", "time between replayed evaluations (1d for daily detection, at seven times the queries)")
	format := fs.String("format", "table", "output: table or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("--format: %q is not table or json", *format)
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	st, err := app.OpenStore(cfg)
	if err != nil {
		return err
	}
	defer st.Engine().Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	catalog := cfg.Catalog
	step, err := alerting.ParseDuration(*replayStep)
	if err != nil || step < time.Hour {
		return fmt.Errorf("--replay-step: %q is not a duration of at least 1h", *replayStep)
	}
	o := alerting.BacktestOptions{Store: st, Days: *days, GroupBy: *groupBy, Horizon: *horizon, Overall: true,
		ReplayStep: step, Progress: stderr}
	if *measuresFlag != "" {
		for _, m := range strings.Split(*measuresFlag, ",") {
			if m = strings.TrimSpace(m); m != "" {
				o.Measures = append(o.Measures, m)
			}
		}
	}
	if *endFlag != "" {
		if o.End, err = parseWhen(*endFlag); err != nil {
			return fmt.Errorf("--end: %w", err)
		}
	}
	if *useDemo {
		dopts := demo.Options{End: o.End}
		if dopts.End.IsZero() {
			dopts.End = time.Now().UTC().Truncate(time.Hour)
		}
		n, err := app.LoadDemo(ctx, st, dopts, stderr)
		if err != nil {
			return err
		}
		if n == 0 && o.End.IsZero() {
			// The store was filled earlier: its demo ended after its
			// latest event, within hours (a regression's onset is off by
			// as much, a small part of a detection delay counted in days).
			if last, ok, err := latestEvent(ctx, st); err != nil {
				return err
			} else if ok {
				dopts.End = last.Truncate(time.Hour).Add(time.Hour)
				fmt.Fprintf(stderr, "store already has events: taking the demo's end as %s\n", dopts.End.Format(time.RFC3339))
			}
		}
		if len(catalog.Services) == 0 {
			catalog = demo.Catalog(dopts)
		}
		for _, r := range demo.Regressions(dopts) {
			key := r.Team
			if r.Scope == "service" {
				key = r.Service
			}
			o.Regressions = append(o.Regressions, alerting.Regression{Scope: r.Scope, Key: key, Measure: r.Measure, Start: r.Start})
		}
		o.Trending = demoTrending(catalog)
		if o.End.IsZero() {
			o.End = dopts.End.Truncate(24 * time.Hour) // whole days only
		}
	}
	if o.End.IsZero() {
		last, ok, err := latestEvent(ctx, st)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("the store has no events: load some, or pass --demo")
		}
		o.End = last.Truncate(24 * time.Hour) // the last day may be partial: leave it out
	}
	if *rulesPath != "" {
		if o.Rules, err = readRules(*rulesPath); err != nil {
			return err
		}
	}
	if o.Computer, err = metrics.NewComputer(metrics.Options{Store: st, Catalog: &catalog}); err != nil {
		return err
	}
	rep, err := alerting.Backtest(ctx, o)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonSafe(rep))
	}
	return printBacktest(stdout, rep)
}

// demoTrending are the series the demo's story makes trend: mobile's lead
// time falls and its deployment frequency rises (in every copy of the
// organisation), and deployment frequency grows 20% over the year overall.
func demoTrending(c metrics.Catalog) []alerting.SeriesRef {
	teams := map[string]bool{}
	for _, s := range c.Services {
		if s.Team == "mobile" || strings.HasPrefix(s.Team, "mobile-") {
			teams[s.Team] = true
		}
	}
	out := []alerting.SeriesRef{{Measure: "deployment_frequency_per_day"}}
	for t := range teams {
		out = append(out,
			alerting.SeriesRef{Measure: "change_lead_time_median_seconds", GroupBy: "team", Key: t},
			alerting.SeriesRef{Measure: "deployment_frequency_per_day", GroupBy: "team", Key: t})
	}
	return out
}

func latestEvent(ctx context.Context, st *queries.Store) (time.Time, bool, error) {
	evs, err := st.ListEvents(ctx, queries.EventFilter{From: time.Unix(0, 0).UTC(), To: time.Now().UTC().Add(366 * 24 * time.Hour), Limit: 1})
	if err != nil {
		return time.Time{}, false, err
	}
	if len(evs) == 0 {
		return time.Time{}, false, nil
	}
	return evs[0].Time.UTC(), true, nil
}

// readRules reads rules from an `alerting:` section or a bare `rules:` list.
func readRules(path string) ([]alerting.Rule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--rules: %w", err)
	}
	var doc struct {
		Alerting *alerting.Config `yaml:"alerting"`
		Rules    []alerting.Rule  `yaml:"rules"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(false) // a whole throughline.yaml is fine: only these keys are read
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("--rules %s: %w", path, err)
	}
	rules := doc.Rules
	if doc.Alerting != nil {
		rules = append(rules, doc.Alerting.Rules...)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("--rules %s: no rules (want alerting.rules or rules)", path)
	}
	if err := (alerting.Config{Rules: rules}).Validate(); err != nil {
		return nil, fmt.Errorf("--rules %s: %w", path, err)
	}
	return rules, nil
}

func printBacktest(w io.Writer, rep *alerting.BacktestReport) error {
	fmt.Fprintf(w, "History %s .. %s\n\n", rep.From.Format("2006-01-02"), rep.To.Format("2006-01-02"))
	fmt.Fprintln(w, "Forecast accuracy, weekly series, one week ahead from every week of the second half")
	fmt.Fprintln(w, "(MASE: below 1 beats the naive forecast's typical error; held-out: the model is also chosen")
	fmt.Fprintln(w, "at each week from the weeks before it only):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tgroup\tpoints\tmodel\tMASE\tnaive MASE\theld-out MASE\tcoverage 95%\ttrend/week\ttrending")
	var trendMASE, trendHeld []float64
	for _, s := range rep.Series {
		group := s.Key
		if s.GroupBy == "" {
			group = "(all)"
		}
		trending := ""
		if s.Trending {
			trending = "yes"
			trendMASE = append(trendMASE, s.MASE)
			trendHeld = append(trendHeld, s.HeldOutMASE)
		}
		if s.Err != "" {
			fmt.Fprintf(tw, "%s\t%s\t%d\t-\t-\t-\t-\t-\t-\t%s\n", s.Measure, group, s.Points, trending)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Measure, group, s.Points, s.Model,
			f2(s.MASE), f2(s.NaiveMASE), f2(s.HeldOutMASE), pct(s.Coverage), g3(s.SlopePerWeek), trending)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(trendMASE) > 0 {
		fmt.Fprintf(w, "\nTrending series: %d of %d with MASE below 1 (held-out: %d of %d).\n",
			countBelow(trendMASE, 1), len(trendMASE), countBelow(trendHeld, 1), len(trendHeld))
	}
	if len(rep.Regressions) == 0 && len(rep.Episodes) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nAlert detection, replayed from %s:\n", rep.ReplayFrom.Format("2006-01-02"))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "regression\tmeasure watched\tstart\tdetected\tfirst alert\tdelay")
	for _, g := range rep.Regressions {
		det, first, delay := "no", "-", "-"
		if !g.Scored {
			det = "not scored (starts before the replay)"
		}
		if g.Detected {
			det, first, delay = "yes", g.FirstAlert.Format("2006-01-02"), fmt.Sprintf("%.0f days", g.Delay.Hours()/24)
		}
		fmt.Fprintf(tw, "%s %s %s\t%s\t%s\t%s\t%s\t%s\n", g.Scope, g.Key, g.Measure, g.SeriesMeasure,
			g.Start.Format("2006-01-02"), det, first, delay)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAlerts %d, true %d: precision %s, recall %s, median detection delay %.1f days.\n",
		rep.Alerts, rep.TruePositives, pct(rep.Precision), pct(rep.Recall), rep.MedianDelay.Hours()/24)
	return nil
}

func countBelow(vs []float64, limit float64) int {
	n := 0
	for _, v := range vs {
		if v < limit {
			n++
		}
	}
	return n
}

func f2(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func g3(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%+.3g", v)
}

func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

// jsonSafe is the report as JSON, in one shape whatever the figures:
// snake_case keys, and null for NaN and infinities (which JSON lacks).
func jsonSafe(rep *alerting.BacktestReport) any {
	type series struct {
		Measure      string     `json:"measure"`
		GroupBy      string     `json:"group_by"`
		Key          string     `json:"key"`
		Points       int        `json:"points"`
		Model        string     `json:"model,omitempty"`
		MASE         *float64   `json:"mase"`
		NaiveMASE    *float64   `json:"naive_mase"`
		HeldOutMASE  *float64   `json:"held_out_mase"`
		Coverage     *float64   `json:"coverage"`
		SlopePerWeek *float64   `json:"slope_per_week"`
		Trending     bool       `json:"trending"`
		Err          string     `json:"error,omitempty"`
		Weeks        []*float64 `json:"weeks"`
	}
	type regression struct {
		Scope         string     `json:"scope"`
		Key           string     `json:"key"`
		Measure       string     `json:"measure"`
		SeriesMeasure string     `json:"series_measure"`
		Start         time.Time  `json:"start"`
		Scored        bool       `json:"scored"`
		Detected      bool       `json:"detected"`
		Rule          string     `json:"rule,omitempty"`
		FirstAlert    *time.Time `json:"first_alert,omitempty"`
		DelayHours    *float64   `json:"delay_hours,omitempty"`
	}
	type episode struct {
		Rule  string     `json:"rule"`
		Key   string     `json:"key"`
		Start time.Time  `json:"start"`
		End   *time.Time `json:"end"` // null while still firing at the end
		True  bool       `json:"true_positive"`
	}
	out := struct {
		From             time.Time    `json:"from"`
		To               time.Time    `json:"to"`
		ReplayFrom       time.Time    `json:"replay_from"`
		Series           []series     `json:"series"`
		Regressions      []regression `json:"regressions"`
		Episodes         []episode    `json:"episodes"`
		Alerts           int          `json:"alerts"`
		TruePositives    int          `json:"true_positives"`
		Precision        *float64     `json:"precision"`
		Recall           *float64     `json:"recall"`
		MedianDelayHours float64      `json:"median_delay_hours"`
	}{From: rep.From, To: rep.To, ReplayFrom: rep.ReplayFrom, Alerts: rep.Alerts, TruePositives: rep.TruePositives,
		Precision: fin(rep.Precision), Recall: fin(rep.Recall), MedianDelayHours: rep.MedianDelay.Hours(),
		Series: []series{}, Regressions: []regression{}, Episodes: []episode{}}
	for _, s := range rep.Series {
		weeks := make([]*float64, len(s.Weeks))
		for i, v := range s.Weeks {
			weeks[i] = fin(v)
		}
		out.Series = append(out.Series, series{s.Measure, s.GroupBy, s.Key, s.Points, s.Model, fin(s.MASE), fin(s.NaiveMASE),
			fin(s.HeldOutMASE), fin(s.Coverage), fin(s.SlopePerWeek), s.Trending, s.Err, weeks})
	}
	for _, g := range rep.Regressions {
		r := regression{Scope: g.Scope, Key: g.Key, Measure: g.Measure, SeriesMeasure: g.SeriesMeasure, Start: g.Start,
			Scored: g.Scored, Detected: g.Detected, Rule: g.Rule}
		if g.Detected {
			first, hours := g.FirstAlert, g.Delay.Hours()
			r.FirstAlert, r.DelayHours = &first, &hours
		}
		out.Regressions = append(out.Regressions, r)
	}
	for _, e := range rep.Episodes {
		ep := episode{Rule: e.Rule, Key: e.Key, Start: e.Start, True: e.True}
		if !e.End.IsZero() {
			end := e.End
			ep.End = &end
		}
		out.Episodes = append(out.Episodes, ep)
	}
	return out
}

func fin(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

package alerting

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/forecast"
	"github.com/throughline/throughline/metrics"
)

// Config is the `alerting:` section of the configuration file: rules,
// receivers of notifications, runbook triggers and their guardrails, and the
// evaluation schedule. The zero value is valid and does nothing.
type Config struct {
	// Schedule is when rules are evaluated: a cron spec of five fields or a
	// descriptor (@hourly, @every 15m). Default "@hourly".
	Schedule string `yaml:"schedule"`
	// ExternalURL is Throughline's address as people reach it, for the
	// approve/deny links in notifications (default http://127.0.0.1:8080).
	ExternalURL string `yaml:"external_url"`
	// ResolvedRetention is how long a resolved alert stays listed
	// (default 24h).
	ResolvedRetention Duration     `yaml:"resolved_retention"`
	Rules             []Rule       `yaml:"rules"`
	Receivers         []Receiver   `yaml:"receivers"`
	Triggers          []Trigger    `yaml:"triggers"`
	Delivery          Delivery     `yaml:"delivery"`
	Alertmanager      Alertmanager `yaml:"alertmanager"`
	// KillSwitch, when true, suppresses every runbook trigger whatever the
	// API says; the API can engage the switch but not release this one.
	KillSwitch bool `yaml:"kill_switch"`
}

// Rule kinds.
const (
	KindThreshold = "threshold"
	KindForecast  = "forecast"
	KindAnomaly   = "anomaly"
	KindBurnRate  = "burn_rate"
)

// Rule is one alerting rule over a measure, evaluated per group of a scope
// (one alert per service, team, product or portfolio).
type Rule struct {
	Name    string `yaml:"name"`
	Kind    string `yaml:"kind"`    // threshold, forecast, anomaly or burn_rate
	Measure string `yaml:"measure"` // a measure of the catalogue, or incidents_opened
	// GroupBy is the scope: one alert per service (default), team, product
	// or portfolio. Service, Team and Product narrow it.
	GroupBy string `yaml:"group_by"`
	Service string `yaml:"service"`
	Team    string `yaml:"team"`
	Product string `yaml:"product"`
	// Window is the trailing window each value of the measure covers
	// (default 28d): a daily series is the measure over the Window ending at
	// each midnight UTC.
	Window Duration `yaml:"window"`
	// Step is the spacing of the series for forecast and anomaly rules:
	// whole days, default 7d for forecasts and 1d for anomalies.
	Step     Duration          `yaml:"step"`
	Severity string            `yaml:"severity"` // critical, warning (default) or info
	For      Duration          `yaml:"for"`      // how long the condition holds before the alert fires
	Labels   map[string]string `yaml:"labels"`   // added to the alert's labels

	// threshold
	Op        string   `yaml:"op"`        // >, >=, <, <=
	Threshold *float64 `yaml:"threshold"` // in the measure's unit (ratios as fractions)

	// forecast
	Target    *float64 `yaml:"target"`
	Direction string   `yaml:"direction"` // forecast: above (default) or below; anomaly: up (default), down or both
	Horizon   Duration `yaml:"horizon"`   // how far ahead to look (default 28d)
	Level     float64  `yaml:"level"`     // prediction interval level (default 0.95)
	Models    []string `yaml:"models"`    // candidates for the backtest (default all)
	Trend     Duration `yaml:"trend"`     // period of the slope quoted in the explanation (default 8w)

	// forecast and anomaly
	History Duration `yaml:"history"` // length of the daily series (default 182d)

	// anomaly
	Method   string   `yaml:"method"`   // ewma (default) or cusum
	Baseline Duration `yaml:"baseline"` // leading in-control period of the series (default History − 28d)
	Recent   Duration `yaml:"recent"`   // a signal in the last Recent makes the rule active (default 1d)
	Lambda   float64  `yaml:"lambda"`   // EWMA weight (default 0.2)
	L        float64  `yaml:"l"`        // EWMA limit width in σ (default 3)
	K        float64  `yaml:"k"`        // CUSUM allowance in σ (default 0.5)
	H        float64  `yaml:"h"`        // CUSUM decision interval in σ (default 5)

	// burn_rate
	SLO          float64      `yaml:"slo"`           // objective in (0, 1), e.g. 0.95
	SuccessRatio bool         `yaml:"success_ratio"` // the measure is a success ratio: errors are 1 − value
	Windows      []BurnWindow `yaml:"windows"`       // default 1h/5m×14.4, 6h/30m×6, 3d/6h×1
}

// BurnWindow is one multiwindow burn-rate condition.
type BurnWindow struct {
	Long   Duration `yaml:"long"`
	Short  Duration `yaml:"short"`
	Factor float64  `yaml:"factor"`
}

// Receiver is where alert notifications go.
type Receiver struct {
	Name string `yaml:"name"`
	// Type is alertmanager (Alertmanager webhook JSON, version 4; default)
	// or cloudevents (structured CloudEvents 1.0 JSON).
	Type string `yaml:"type"`
	URL  string `yaml:"url"`
	// Secret signs every request the Standard Webhooks way: whsec_ and the
	// base64 of 24 to 64 random bytes. Empty: unsigned.
	Secret  string            `yaml:"secret"`
	Headers map[string]string `yaml:"headers"`
	// Match selects alerts by label equality; empty: every alert.
	Match        map[string]string `yaml:"match"`
	SendResolved *bool             `yaml:"send_resolved"` // default true
}

// Trigger maps alerts to a runbook action, behind guardrails.
type Trigger struct {
	Name string `yaml:"name"`
	// Match selects alerts by label equality (alertname is the rule's name,
	// or Alertmanager's); it must name at least one label.
	Match map[string]string `yaml:"match"`
	// Target is a template naming what the action acts upon, the key of the
	// cooldown (default: the alert's service label, else its fingerprint).
	Target     string     `yaml:"target"`
	Action     ActionSpec `yaml:"action"`
	Guardrails Guardrails `yaml:"guardrails"`
}

// Action types.
const (
	ActionWebhook    = "webhook"
	ActionRundeck    = "rundeck"
	ActionStackStorm = "stackstorm"
	ActionAWX        = "awx"
	ActionEDA        = "eda"
	ActionPagerDuty  = "pagerduty"
)

// ActionSpec is what a trigger calls. Templates (Body, Options, ExtraVars
// values, Target) are Go text/templates over the alert: .Alert.Labels,
// .Alert.Annotations, .Alert.Explanation, .Alert.Fingerprint, .ActionID,
// with the function json to quote a value for a JSON body.
type ActionSpec struct {
	Type    string            `yaml:"type"` // webhook, rundeck, stackstorm, awx, eda, pagerduty
	URL     string            `yaml:"url"`  // pagerduty: default https://events.pagerduty.com/v2/enqueue
	Method  string            `yaml:"method"`
	Headers map[string]string `yaml:"headers"`
	// Body is the webhook's templated body (default: the action as JSON).
	Body string `yaml:"body"`
	// Secret signs webhook and eda requests the Standard Webhooks way.
	Secret string `yaml:"secret"`
	// Token: rundeck X-Rundeck-Auth-Token, stackstorm St2-Api-Key, awx and
	// eda Authorization: Bearer.
	Token      string            `yaml:"token"`
	Options    map[string]string `yaml:"options"`     // rundeck job options
	ExtraVars  map[string]string `yaml:"extra_vars"`  // awx extra_vars
	RoutingKey string            `yaml:"routing_key"` // pagerduty integration key
}

// Guardrails keep a runbook from doing harm.
type Guardrails struct {
	// Dedupe runs at most once per alert episode (fingerprint and start);
	// default true.
	Dedupe *bool `yaml:"dedupe"`
	// PendingFor waits this long after the alert fires; the action is
	// cancelled if the alert clears first.
	PendingFor Duration `yaml:"pending_for"`
	// Cooldown is the least time between two runs on one target.
	Cooldown   Duration `yaml:"cooldown"`
	MaxPerHour int      `yaml:"max_per_hour"` // 0: no limit
	MaxPerDay  int      `yaml:"max_per_day"`  // 0: no limit
	// Approval holds the action until someone approves it through the API.
	Approval        bool     `yaml:"approval"`
	ApprovalTimeout Duration `yaml:"approval_timeout"` // default 24h
	// DryRun records every decision but never calls the action. Dry runs
	// count towards cooldowns and limits, so they show what would happen.
	DryRun bool `yaml:"dry_run"`
	// ResolveWithin: an action whose alert clears within this time after
	// it ran counts as a resolution (default 1h), unless a callback said
	// otherwise.
	ResolveWithin Duration `yaml:"resolve_within"`
}

// Delivery tunes the outbox.
type Delivery struct {
	Timeout         Duration `yaml:"timeout"`           // per attempt (default 10s)
	InitialBackoff  Duration `yaml:"initial_backoff"`   // first retry delay (default 1s), doubled each attempt
	MaxBackoff      Duration `yaml:"max_backoff"`       // cap of the delay and of Retry-After (default 10m)
	DeadLetterAfter Duration `yaml:"dead_letter_after"` // give up after this long (default 24h)
	Concurrency     int      `yaml:"concurrency"`       // requests in flight (default 4)
}

// Alertmanager configures POST /api/v1/alerts/webhook.
type Alertmanager struct {
	// OpenIncidents makes firing alerts of IncidentSeverities open incidents
	// (incident.opened events), and their resolution resolve them.
	OpenIncidents      bool              `yaml:"open_incidents"`
	IncidentSeverities []string          `yaml:"incident_severities"` // default [critical]
	ServiceLabel       string            `yaml:"service_label"`       // default service
	EnvironmentLabel   string            `yaml:"environment_label"`   // default environment
	DefaultService     string            `yaml:"default_service"`     // default unassigned
	SeverityPriorities map[string]string `yaml:"severity_priorities"` // default critical P1 … info P5
}

// Duration is a time.Duration written as 15m, 36h, 28d or 8w.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML accepts Go durations plus d (day) and w (week) units.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in the form ParseDuration reads.
func (d Duration) MarshalYAML() (any, error) { return FormatDuration(time.Duration(d)), nil }

var durationRE = regexp.MustCompile(`^([0-9]+)([dw])$`)

// ParseDuration parses Go durations and whole days (28d) or weeks (8w).
func ParseDuration(s string) (time.Duration, error) {
	if m := durationRE.FindStringSubmatch(s); m != nil {
		var n int64
		if _, err := fmt.Sscan(m[1], &n); err == nil && n > 0 && n < 100000 {
			unit := 24 * time.Hour
			if m[2] == "w" {
				unit *= 7
			}
			return time.Duration(n) * unit, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a duration (like 28d, 36h or 15m)", s)
	}
	return v, nil
}

// FormatDuration writes whole days as 28d and anything else as Go does.
func FormatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// Defaults.
const (
	DefaultSchedule          = "@hourly"
	DefaultExternalURL       = "http://127.0.0.1:8080"
	DefaultWindow            = 28 * day
	DefaultHistory           = 182 * day
	DefaultHorizon           = 28 * day
	DefaultTrend             = 56 * day
	DefaultLevel             = 0.95
	DefaultResolvedRetention = 24 * time.Hour
	day                      = 24 * time.Hour
)

// Models are the forecasting candidates a forecast rule may name, simplest
// first (Select breaks ties by candidate order).
var Models = []string{"naive", "seasonal_naive", "linear", "holt", "holt_winters"}

// countSeries are series that are not (yet) measures of the catalogue but
// that the query layer can count per day.
var countSeries = map[string]string{"incidents_opened": "count"}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$`)

// withDefaults returns c with every zero field at its default.
func (c Config) withDefaults() Config {
	if c.Schedule == "" {
		c.Schedule = DefaultSchedule
	}
	if c.ExternalURL == "" {
		c.ExternalURL = DefaultExternalURL
	}
	c.ExternalURL = strings.TrimRight(c.ExternalURL, "/")
	if c.ResolvedRetention == 0 {
		c.ResolvedRetention = Duration(DefaultResolvedRetention)
	}
	rules := make([]Rule, len(c.Rules))
	for i, r := range c.Rules {
		rules[i] = r.withDefaults()
	}
	c.Rules = rules
	recv := make([]Receiver, len(c.Receivers))
	for i, r := range c.Receivers {
		if r.Type == "" {
			r.Type = "alertmanager"
		}
		recv[i] = r
	}
	c.Receivers = recv
	trig := make([]Trigger, len(c.Triggers))
	for i, t := range c.Triggers {
		if t.Guardrails.ApprovalTimeout == 0 {
			t.Guardrails.ApprovalTimeout = Duration(24 * time.Hour)
		}
		if t.Guardrails.ResolveWithin == 0 {
			t.Guardrails.ResolveWithin = Duration(time.Hour)
		}
		if t.Action.Type == ActionPagerDuty && t.Action.URL == "" {
			t.Action.URL = "https://events.pagerduty.com/v2/enqueue"
		}
		if t.Action.Method == "" {
			t.Action.Method = "POST"
		}
		trig[i] = t
	}
	c.Triggers = trig
	d := &c.Delivery
	if d.Timeout == 0 {
		d.Timeout = Duration(10 * time.Second)
	}
	if d.InitialBackoff == 0 {
		d.InitialBackoff = Duration(time.Second)
	}
	if d.MaxBackoff == 0 {
		d.MaxBackoff = Duration(10 * time.Minute)
	}
	if d.DeadLetterAfter == 0 {
		d.DeadLetterAfter = Duration(24 * time.Hour)
	}
	if d.Concurrency == 0 {
		d.Concurrency = 4
	}
	return c
}

func (r Rule) withDefaults() Rule {
	if r.GroupBy == "" {
		r.GroupBy = "service"
	}
	if r.Window == 0 {
		r.Window = Duration(DefaultWindow)
	}
	if r.Severity == "" {
		r.Severity = "warning"
	}
	switch r.Kind {
	case KindForecast:
		if r.Direction == "" {
			r.Direction = "above"
		}
		if r.Step == 0 {
			r.Step = Duration(7 * day)
		}
		if r.Horizon == 0 {
			r.Horizon = Duration(DefaultHorizon)
		}
		if r.Level == 0 {
			r.Level = DefaultLevel
		}
		if len(r.Models) == 0 {
			r.Models = Models
			if r.Step != Duration(day) {
				// Seasonal models need the weekly cycle of a daily series.
				r.Models = []string{"naive", "linear", "holt"}
			}
		}
		if r.Trend == 0 {
			r.Trend = Duration(DefaultTrend)
		}
		if r.History == 0 {
			r.History = Duration(DefaultHistory)
		}
	case KindAnomaly:
		if r.Direction == "" {
			r.Direction = "up"
		}
		if r.Method == "" {
			r.Method = "ewma"
		}
		if r.Step == 0 {
			r.Step = Duration(day)
		}
		if r.History == 0 {
			r.History = Duration(DefaultHistory)
		}
		if r.Baseline == 0 && r.History > Duration(DefaultWindow) {
			r.Baseline = r.History - Duration(DefaultWindow)
		}
		if r.Recent == 0 {
			r.Recent = r.Step
		}
	case KindBurnRate:
		if len(r.Windows) == 0 {
			for _, w := range forecast.DefaultBurnWindows() {
				r.Windows = append(r.Windows, BurnWindow{Long: Duration(w.Long), Short: Duration(w.Short), Factor: w.Factor})
			}
		}
	}
	return r
}

// Validate checks the section; every error names its key, as
// alerting.rules[3].horizon. All problems are reported, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("alerting.%s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.Schedule != "" {
		if _, err := cronParser.Parse(c.Schedule); err != nil {
			bad("schedule", "%q is not a cron schedule (five fields, or @hourly, @every 15m): %v", c.Schedule, err)
		}
	}
	if c.ExternalURL != "" {
		if err := checkURL(c.ExternalURL); err != nil {
			bad("external_url", "%v", err)
		}
	}
	if c.ResolvedRetention < 0 {
		bad("resolved_retention", "must not be negative")
	}
	c.validateRules(bad)
	names := map[string]bool{}
	for i, r := range c.Receivers {
		k := fmt.Sprintf("receivers[%d]", i)
		if !nameRE.MatchString(r.Name) {
			bad(k+".name", "%q must be letters, digits, _ . - (at most 128)", r.Name)
		} else if names[r.Name] {
			bad(k+".name", "%q is used twice", r.Name)
		}
		names[r.Name] = true
		if r.Type != "" && r.Type != "alertmanager" && r.Type != "cloudevents" {
			bad(k+".type", "%q is not alertmanager or cloudevents", r.Type)
		}
		if err := checkURL(r.URL); err != nil {
			bad(k+".url", "%v", err)
		}
		if r.Secret != "" {
			if _, err := decodeSecret(r.Secret); err != nil {
				bad(k+".secret", "%v", err)
			}
		}
		checkHeaders(k+".headers", r.Headers, bad)
	}
	c.validateTriggers(bad)
	d := c.Delivery
	for _, f := range []struct {
		key string
		v   Duration
	}{{"timeout", d.Timeout}, {"initial_backoff", d.InitialBackoff}, {"max_backoff", d.MaxBackoff}, {"dead_letter_after", d.DeadLetterAfter}} {
		if f.v < 0 {
			bad("delivery."+f.key, "must not be negative")
		}
	}
	if d.MaxBackoff > 0 && d.InitialBackoff > d.MaxBackoff {
		bad("delivery.initial_backoff", "%s is longer than max_backoff %s", d.InitialBackoff.D(), d.MaxBackoff.D())
	}
	if d.Concurrency < 0 || d.Concurrency > 64 {
		bad("delivery.concurrency", "must be in [1, 64], got %d", d.Concurrency)
	}
	for sev, p := range c.Alertmanager.SeverityPriorities {
		if len(p) != 2 || p[0] != 'P' || p[1] < '1' || p[1] > '5' {
			bad("alertmanager.severity_priorities."+sev, "must be P1..P5, not %q", p)
		}
	}
	return errors.Join(errs...)
}

func (c Config) validateRules(bad func(key, format string, a ...any)) {
	names := map[string]bool{}
	for i, r := range c.Rules {
		k := fmt.Sprintf("rules[%d]", i)
		if !nameRE.MatchString(r.Name) {
			bad(k+".name", "%q must be letters, digits, _ . - (at most 128)", r.Name)
		} else if names[r.Name] {
			bad(k+".name", "%q is used twice", r.Name)
		}
		names[r.Name] = true
		unit, ok := measureUnit(r.Measure)
		if !ok {
			bad(k+".measure", "%q is not a measure (see GET /api/v1/measures/definitions) nor incidents_opened", r.Measure)
		}
		if r.GroupBy != "" && !contains(metrics.GroupBys, r.GroupBy) {
			bad(k+".group_by", "%q is not service, team, product or portfolio", r.GroupBy)
		}
		if r.Severity != "" && !contains([]string{"critical", "warning", "info"}, r.Severity) {
			bad(k+".severity", "%q is not critical, warning or info", r.Severity)
		}
		for name := range r.Labels {
			if !labelRE.MatchString(name) || reservedLabels[name] {
				bad(k+".labels."+name, "not a label name, or one Throughline sets (alertname, severity, the scope)")
			}
		}
		if r.Window < 0 || r.For < 0 {
			bad(k+".window", "durations must not be negative")
		}
		if r.Window != 0 && (r.Window.D() < time.Hour || r.Window.D()%time.Hour != 0) {
			bad(k+".window", "%s must be whole hours, at least 1h", r.Window.D())
		}
		setOnly := func(key string, set bool, kinds ...string) {
			if set && !contains(kinds, r.Kind) {
				bad(k+"."+key, "only applies to %s rules", strings.Join(kinds, " and "))
			}
		}
		setOnly("op", r.Op != "", KindThreshold)
		setOnly("threshold", r.Threshold != nil, KindThreshold)
		setOnly("target", r.Target != nil, KindForecast)
		setOnly("horizon", r.Horizon != 0, KindForecast)
		setOnly("level", r.Level != 0, KindForecast)
		setOnly("models", len(r.Models) > 0, KindForecast)
		setOnly("trend", r.Trend != 0, KindForecast)
		setOnly("history", r.History != 0, KindForecast, KindAnomaly)
		setOnly("step", r.Step != 0, KindForecast, KindAnomaly)
		d := r.withDefaults()
		if (r.Kind == KindForecast || r.Kind == KindAnomaly) && (d.Step.D() < day || d.Step.D()%day != 0 || d.Step.D() > 28*day) {
			bad(k+".step", "%s must be whole days, from 1d to 28d", d.Step.D())
		}
		if unit == "count" && r.Window.D()%day != 0 {
			bad(k+".window", "%s must be whole days for %s", r.Window.D(), r.Measure)
		}
		setOnly("direction", r.Direction != "", KindForecast, KindAnomaly)
		for _, f := range []struct {
			key string
			set bool
		}{{"method", r.Method != ""}, {"baseline", r.Baseline != 0}, {"recent", r.Recent != 0},
			{"lambda", r.Lambda != 0}, {"l", r.L != 0}, {"k", r.K != 0}, {"h", r.H != 0}} {
			setOnly(f.key, f.set, KindAnomaly)
		}
		setOnly("slo", r.SLO != 0, KindBurnRate)
		setOnly("success_ratio", r.SuccessRatio, KindBurnRate)
		setOnly("windows", len(r.Windows) > 0, KindBurnRate)

		switch r.Kind {
		case KindThreshold:
			if !contains([]string{">", ">=", "<", "<="}, r.Op) {
				bad(k+".op", "%q is not >, >=, < or <=", r.Op)
			}
			if r.Threshold == nil {
				bad(k+".threshold", "is required for a threshold rule")
			}
		case KindForecast:
			if r.Target == nil {
				bad(k+".target", "is required for a forecast rule")
			}
			if d.Direction != "above" && d.Direction != "below" {
				bad(k+".direction", "%q is not above or below", r.Direction)
			}
			if d.Horizon.D() < day || d.Horizon.D() > 366*day || d.Horizon.D()%day != 0 {
				bad(k+".horizon", "%s must be whole days between 1d and 366d", d.Horizon.D())
			}
			if !(d.Level > 0 && d.Level < 1) {
				bad(k+".level", "%v must be in (0, 1), such as 0.95", r.Level)
			}
			for j, m := range r.Models {
				if !contains(Models, m) {
					bad(fmt.Sprintf("%s.models[%d]", k, j), "%q is not one of %s", m, strings.Join(Models, ", "))
				} else if (m == "seasonal_naive" || m == "holt_winters") && d.Step.D() != day {
					bad(fmt.Sprintf("%s.models[%d]", k, j), "%s needs step 1d (its season is the week)", m)
				}
			}
			if d.Horizon.D()%d.Step.D() != 0 && d.Step.D() > 0 {
				bad(k+".horizon", "%s must be a whole number of steps (%s)", d.Horizon.D(), d.Step.D())
			}
			if d.Step.D() > 0 && int(d.History.D()/d.Step.D()) < 12 {
				bad(k+".history", "%s gives fewer than 12 steps of %s: too few to backtest", d.History.D(), d.Step.D())
			}
			if d.Trend.D() < 7*day {
				bad(k+".trend", "%s is shorter than a week", d.Trend.D())
			}
			if d.History.D() < 28*day || d.History.D()%day != 0 || d.History.D() > 3660*day {
				bad(k+".history", "%s must be whole days, at least 28d", d.History.D())
			}
		case KindAnomaly:
			if !contains([]string{"up", "down", "both"}, d.Direction) {
				bad(k+".direction", "%q is not up, down or both", r.Direction)
			}
			if d.Method != "ewma" && d.Method != "cusum" {
				bad(k+".method", "%q is not ewma or cusum", r.Method)
			}
			if d.History.D() < 14*day || d.History.D()%day != 0 || d.History.D() > 3660*day {
				bad(k+".history", "%s must be whole days, at least 14d", d.History.D())
			}
			if d.Step.D() > 0 && (d.History.D()%d.Step.D() != 0 || d.Baseline.D()%d.Step.D() != 0 || d.Recent.D()%d.Step.D() != 0) {
				bad(k+".step", "history, baseline and recent must be whole numbers of steps (%s)", d.Step.D())
			}
			if d.Baseline.D() < 7*day || d.Baseline.D()%day != 0 || d.Baseline >= d.History {
				bad(k+".baseline", "%s must be whole days, at least 7d and shorter than history (%s)", d.Baseline.D(), d.History.D())
			}
			if d.Recent.D() < day || d.Recent.D()%day != 0 || d.Recent > d.History-d.Baseline {
				bad(k+".recent", "%s must be whole days, at least 1d and at most history − baseline", d.Recent.D())
			}
			if r.Lambda < 0 || r.Lambda > 1 {
				bad(k+".lambda", "%v must be in (0, 1]", r.Lambda)
			}
			for _, f := range []struct {
				key string
				v   float64
			}{{"l", r.L}, {"k", r.K}, {"h", r.H}} {
				if f.v < 0 || f.v > 100 {
					bad(k+"."+f.key, "%v must be positive (in σ)", f.v)
				}
			}
		case KindBurnRate:
			if !(r.SLO > 0 && r.SLO < 1) {
				bad(k+".slo", "%v must be in (0, 1), such as 0.95", r.SLO)
			}
			if ok && unit != "ratio" {
				bad(k+".measure", "%q is not a ratio: burn rates need an error or success ratio", r.Measure)
			}
			for j, w := range r.Windows {
				wk := fmt.Sprintf("%s.windows[%d]", k, j)
				if w.Short <= 0 || w.Long <= w.Short {
					bad(wk, "short must be positive and shorter than long")
				}
				if !(w.Factor > 0) {
					bad(wk+".factor", "must be positive")
				}
			}
		default:
			bad(k+".kind", "%q is not threshold, forecast, anomaly or burn_rate", r.Kind)
		}
	}
}

func (c Config) validateTriggers(bad func(key, format string, a ...any)) {
	names := map[string]bool{}
	for i, t := range c.Triggers {
		k := fmt.Sprintf("triggers[%d]", i)
		if !nameRE.MatchString(t.Name) {
			bad(k+".name", "%q must be letters, digits, _ . - (at most 128)", t.Name)
		} else if names[t.Name] {
			bad(k+".name", "%q is used twice", t.Name)
		}
		names[t.Name] = true
		if len(t.Match) == 0 {
			bad(k+".match", "name at least one label (such as alertname), so a trigger never runs on every alert by accident")
		}
		if t.Target != "" {
			if _, err := parseTemplate(t.Target); err != nil {
				bad(k+".target", "%v", err)
			}
		}
		a := t.Action
		ak := k + ".action"
		switch a.Type {
		case ActionWebhook, ActionRundeck, ActionStackStorm, ActionAWX, ActionEDA:
			if err := checkURL(a.URL); err != nil {
				bad(ak+".url", "%v", err)
			}
		case ActionPagerDuty:
			if a.URL != "" {
				if err := checkURL(a.URL); err != nil {
					bad(ak+".url", "%v", err)
				}
			}
			if a.RoutingKey == "" {
				bad(ak+".routing_key", "is required for pagerduty (the Events v2 integration key)")
			}
		default:
			bad(ak+".type", "%q is not webhook, rundeck, stackstorm, awx, eda or pagerduty", a.Type)
		}
		if a.Method != "" && !contains([]string{"POST", "PUT", "PATCH"}, a.Method) {
			bad(ak+".method", "%q is not POST, PUT or PATCH", a.Method)
		}
		if a.Body != "" {
			if a.Type != ActionWebhook {
				bad(ak+".body", "only webhook actions take a body template")
			} else if _, err := parseTemplate(a.Body); err != nil {
				bad(ak+".body", "%v", err)
			}
		}
		if a.Secret != "" {
			if a.Type != ActionWebhook && a.Type != ActionEDA {
				bad(ak+".secret", "only webhook and eda actions are signed")
			} else if _, err := decodeSecret(a.Secret); err != nil {
				bad(ak+".secret", "%v", err)
			}
		}
		if len(a.Options) > 0 && a.Type != ActionRundeck {
			bad(ak+".options", "only rundeck actions take job options")
		}
		if len(a.ExtraVars) > 0 && a.Type != ActionAWX {
			bad(ak+".extra_vars", "only awx actions take extra_vars")
		}
		if a.RoutingKey != "" && a.Type != ActionPagerDuty {
			bad(ak+".routing_key", "only pagerduty actions take a routing key")
		}
		for name, v := range a.Options {
			if _, err := parseTemplate(v); err != nil {
				bad(ak+".options."+name, "%v", err)
			}
		}
		for name, v := range a.ExtraVars {
			if _, err := parseTemplate(v); err != nil {
				bad(ak+".extra_vars."+name, "%v", err)
			}
		}
		checkHeaders(ak+".headers", a.Headers, bad)
		g := t.Guardrails
		gk := k + ".guardrails"
		if g.PendingFor < 0 || g.Cooldown < 0 || g.ApprovalTimeout < 0 || g.ResolveWithin < 0 {
			bad(gk, "durations must not be negative")
		}
		if g.MaxPerHour < 0 {
			bad(gk+".max_per_hour", "must not be negative")
		}
		if g.MaxPerDay < 0 {
			bad(gk+".max_per_day", "must not be negative")
		}
		if g.MaxPerDay > 0 && g.MaxPerHour > g.MaxPerDay {
			bad(gk+".max_per_hour", "%d is more than max_per_day %d", g.MaxPerHour, g.MaxPerDay)
		}
	}
}

// cronParser reads five-field specs and descriptors (@hourly, @every 1h).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", redactURL(s))
	}
	return nil
}

// redactURL drops credentials and the query, which may hold tokens.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

var headerRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,100}$`)

func checkHeaders(key string, h map[string]string, bad func(key, format string, a ...any)) {
	for name, v := range h {
		if !headerRE.MatchString(name) || strings.ContainsAny(v, "\r\n") {
			bad(key+"."+name, "not a valid header name or value")
		}
		if strings.HasPrefix(strings.ToLower(name), "webhook-") {
			bad(key+"."+name, "webhook-* headers are set by the signature")
		}
	}
}

func parseTemplate(s string) (*template.Template, error) {
	return template.New("t").Option("missingkey=zero").Funcs(templateFuncs).Parse(s)
}

// measureUnit returns the unit of a measure or count series.
func measureUnit(name string) (string, bool) {
	if d, ok := metrics.Lookup(name); ok {
		return d.Unit, true
	}
	u, ok := countSeries[name]
	return u, ok
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

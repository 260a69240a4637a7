package alerting

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/forecast"
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
	Measure string `yaml:"measure"` // a measure of the catalogue (GET /api/v1/measures/definitions)
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
	Method   string   `yaml:"method"`   // ewma (default), cusum, or poisson (an exact rate test, for event counts)
	Baseline Duration `yaml:"baseline"` // leading in-control period of the series (default History − 28d)
	Recent   Duration `yaml:"recent"`   // a signal in the last Recent makes the rule active (default 1d)
	Lambda   float64  `yaml:"lambda"`   // EWMA weight (default 0.2)
	L        float64  `yaml:"l"`        // EWMA limit width in σ (default 3)
	K        float64  `yaml:"k"`        // CUSUM allowance in σ (default 0.5)
	H        float64  `yaml:"h"`        // CUSUM decision interval in σ (default 5)
	Alpha    float64  `yaml:"alpha"`    // poisson: significance of the rate test (default 0.01)

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
	DefaultAlpha             = 0.01
	DefaultResolvedRetention = 24 * time.Hour
	day                      = 24 * time.Hour
)

// Models are the forecasting candidates a forecast rule may name, simplest
// first (Select breaks ties by candidate order).
var Models = []string{"naive", "seasonal_naive", "ses", "linear", "theta", "holt", "holt_winters"}

// nonSeasonalModels are the candidates for a series without a weekly cycle
// (any step but a day).
var nonSeasonalModels = []string{"naive", "ses", "linear", "theta", "holt"}

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
		if r.Kind == KindAnomaly && r.Method == "poisson" {
			// The test adds up counts of consecutive steps: one step each.
			r.Window = r.Step
			if r.Window == 0 {
				r.Window = Duration(day)
			}
		}
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
				r.Models = nonSeasonalModels
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
		if r.Method == "poisson" && r.Alpha == 0 {
			r.Alpha = DefaultAlpha
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

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

	"github.com/throughline/throughline/metrics"
)

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
		} else if u, _ := url.Parse(c.ExternalURL); u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			// It goes into every notification (approval links, alerts_url):
			// credentials would reach every receiver.
			bad("external_url", "must be the service's base URL, without user info, query or fragment")
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
			bad(k+".measure", "%q is not a measure (see GET /api/v1/measures/definitions)", r.Measure)
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
		setOnly("direction", r.Direction != "", KindForecast, KindAnomaly)
		for _, f := range []struct {
			key string
			set bool
		}{{"method", r.Method != ""}, {"baseline", r.Baseline != 0}, {"recent", r.Recent != 0},
			{"lambda", r.Lambda != 0}, {"l", r.L != 0}, {"k", r.K != 0}, {"h", r.H != 0}, {"alpha", r.Alpha != 0}} {
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
			if d.Method != "ewma" && d.Method != "cusum" && d.Method != "poisson" {
				bad(k+".method", "%q is not ewma, cusum or poisson", r.Method)
			}
			if d.Method == "poisson" {
				if _, ok := measureUnit(r.Measure); ok && !eventCounts[r.Measure] {
					bad(k+".method", "poisson tests counts of events arriving in the window (%s), and %s is not one", strings.Join(sortedKeys(eventCounts), ", "), r.Measure)
				}
				if d.Window != d.Step {
					bad(k+".window", "poisson adds up the steps' counts, so window must equal step (%s), got %s", d.Step.D(), d.Window.D())
				}
				if !(d.Alpha > 0 && d.Alpha < 0.5) {
					bad(k+".alpha", "%v is not a significance in (0, 0.5)", r.Alpha)
				}
			} else if r.Alpha != 0 {
				bad(k+".alpha", "only for method poisson")
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

// measureUnit returns the unit of a measure of the catalogue.
func measureUnit(name string) (string, bool) {
	d, ok := metrics.Lookup(name)
	return d.Unit, ok
}

// eventCounts are the measures that count events arriving in their window,
// which the Poisson rate test can add up across steps (not stocks such as
// flow_load, nor counts of pairs such as change_lead_time_samples).
var eventCounts = map[string]bool{"incidents_opened": true, "deployments": true, "deployment_frequency_per_day": true,
	"work_items_done": true, "change_requests_closed": true}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

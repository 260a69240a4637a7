package alerting

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const exampleYAML = `
schedule: "0 * * * *"
external_url: https://throughline.example.com/
rules:
  - name: cfr-forecast
    kind: forecast
    measure: change_failure_rate
    group_by: team
    target: 0.15
    horizon: 28d
  - name: cfr-now
    kind: threshold
    measure: change_failure_rate
    op: ">"
    threshold: 0.2
    for: 2h
    severity: critical
  - name: incident-surge
    kind: anomaly
    measure: incidents_opened
    method: cusum
    window: 7d
  - name: cfr-burn
    kind: burn_rate
    measure: change_failure_rate
    slo: 0.9
    windows: [{long: 7d, short: 1d, factor: 2}]
receivers:
  - {name: ops, url: "https://hooks.example.com/am", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
  - {name: bus, type: cloudevents, url: "https://bus.example.com/", match: {severity: critical}}
triggers:
  - name: rollback
    match: {alertname: cfr-now}
    action: {type: rundeck, url: "https://rundeck.example.com/api/41/job/abc/run", token: t0k, options: {service: "{{.Alert.Labels.service}}"}}
    guardrails: {pending_for: 10m, cooldown: 1h, max_per_hour: 2, max_per_day: 6, approval: true, dry_run: false}
  - name: page
    match: {severity: critical}
    action: {type: pagerduty, routing_key: R0UT1NG}
delivery: {timeout: 5s, dead_letter_after: 12h}
alertmanager: {open_incidents: true}
`

func decodeConfig(t *testing.T, s string) (Config, error) {
	t.Helper()
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader([]byte(s)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestConfigExample(t *testing.T) {
	c, err := decodeConfig(t, exampleYAML)
	if err != nil {
		t.Fatal(err)
	}
	d := c.withDefaults()
	if d.ExternalURL != "https://throughline.example.com" || d.Rules[0].Step.D() != 7*day || d.Rules[0].Level != 0.95 ||
		d.Rules[2].Step.D() != day || d.Rules[2].Baseline.D() != (182-28)*day || d.Triggers[1].Action.URL != "https://events.pagerduty.com/v2/enqueue" ||
		d.Delivery.Timeout.D() != 5*time.Second || d.Delivery.DeadLetterAfter.D() != 12*time.Hour || d.Rules[0].GroupBy != "team" || d.Rules[1].GroupBy != "service" {
		t.Errorf("defaults: %+v", d)
	}
	if got := strings.Join(d.Rules[0].Models, ","); got != "naive,ses,linear,theta,holt" {
		t.Errorf("weekly forecast models %s", got)
	}
	if (Config{}).Validate() != nil {
		t.Error("the zero config must be valid")
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key", "rules: [{name: a, kind: threshold, measure: deployments, op: '>', threshold: 1, colour: red}]", "field colour not found"},
		{"bad kind", "rules: [{name: a, kind: magic, measure: deployments}]", "alerting.rules[0].kind"},
		{"unknown measure", "rules: [{name: a, kind: threshold, measure: happiness, op: '>', threshold: 1}]", "alerting.rules[0].measure"},
		{"duplicate rule", "rules: [{name: a, kind: threshold, measure: deployments, op: '>', threshold: 1}, {name: a, kind: threshold, measure: deployments, op: '>', threshold: 1}]", "alerting.rules[1].name"},
		{"threshold op", "rules: [{name: a, kind: threshold, measure: deployments, op: '=', threshold: 1}]", "alerting.rules[0].op"},
		{"missing threshold", "rules: [{name: a, kind: threshold, measure: deployments, op: '>'}]", "alerting.rules[0].threshold"},
		{"horizon not whole days", "rules: [{name: a, kind: forecast, measure: deployments, target: 1, horizon: 36h}]", "alerting.rules[0].horizon"},
		{"horizon beyond a year", "rules: [{name: a, kind: forecast, measure: deployments, target: 1, horizon: 400d}]", "alerting.rules[0].horizon"},
		{"horizon off the step", "rules: [{name: a, kind: forecast, measure: deployments, target: 1, horizon: 10d}]", "alerting.rules[0].horizon"},
		{"seasonal model weekly", "rules: [{name: a, kind: forecast, measure: deployments, target: 1, models: [holt_winters]}]", "alerting.rules[0].models[0]"},
		{"unknown model", "rules: [{name: a, kind: forecast, measure: deployments, target: 1, models: [prophet]}]", "alerting.rules[0].models[0]"},
		{"level", "rules: [{name: a, kind: forecast, measure: deployments, target: 1, level: 95}]", "alerting.rules[0].level"},
		{"key of another kind", "rules: [{name: a, kind: threshold, measure: deployments, op: '>', threshold: 1, horizon: 7d}]", "alerting.rules[0].horizon"},
		{"baseline too long", "rules: [{name: a, kind: anomaly, measure: deployments, history: 28d, baseline: 28d}]", "alerting.rules[0].baseline"},
		{"anomaly method", "rules: [{name: a, kind: anomaly, measure: deployments, method: ml}]", "alerting.rules[0].method"},
		{"poisson on a ratio", "rules: [{name: a, kind: anomaly, measure: change_failure_rate, method: poisson}]", "poisson tests counts of events"},
		{"poisson on a stock", "rules: [{name: a, kind: anomaly, measure: flow_load, method: poisson}]", "flow_load is not one"},
		{"poisson on overlapping windows", "rules: [{name: a, kind: anomaly, measure: incidents_opened, method: poisson, window: 7d}]", "alerting.rules[0].window"},
		{"poisson alpha", "rules: [{name: a, kind: anomaly, measure: incidents_opened, method: poisson, alpha: 5}]", "alerting.rules[0].alpha"},
		{"alpha on ewma", "rules: [{name: a, kind: anomaly, measure: incidents_opened, alpha: 0.01}]", "alerting.rules[0].alpha: only for method poisson"},
		{"alpha on a threshold", "rules: [{name: a, kind: threshold, measure: deployments, op: '>', threshold: 1, alpha: 0.01}]", "alerting.rules[0].alpha"},
		{"burn on a count", "rules: [{name: a, kind: burn_rate, measure: deployments, slo: 0.9}]", "alerting.rules[0].measure"},
		{"slo", "rules: [{name: a, kind: burn_rate, measure: change_failure_rate, slo: 99}]", "alerting.rules[0].slo"},
		{"burn window", "rules: [{name: a, kind: burn_rate, measure: change_failure_rate, slo: 0.9, windows: [{long: 1h, short: 2h, factor: 1}]}]", "alerting.rules[0].windows[0]"},
		{"reserved label", "rules: [{name: a, kind: threshold, measure: deployments, op: '>', threshold: 1, labels: {alertname: x}}]", "alerting.rules[0].labels.alertname"},
		{"bad duration", "rules: [{name: a, kind: threshold, measure: deployments, op: '>', threshold: 1, for: soon}]", "not a duration"},
		{"schedule", "schedule: every hour", "alerting.schedule"},
		{"external url with credentials", "external_url: 'https://admin:hunter2@throughline.example.com'", "alerting.external_url"},
		{"external url with a query", "external_url: 'https://throughline.example.com/?token=abc'", "alerting.external_url"},
		{"receiver url", "receivers: [{name: r, url: ftp://x}]", "alerting.receivers[0].url"},
		{"receiver type", "receivers: [{name: r, url: 'http://x', type: slack}]", "alerting.receivers[0].type"},
		{"secret prefix", "receivers: [{name: r, url: 'http://x', secret: abc}]", "alerting.receivers[0].secret"},
		{"secret too short", "receivers: [{name: r, url: 'http://x', secret: whsec_YWJj}]", "alerting.receivers[0].secret"},
		{"signature header", "receivers: [{name: r, url: 'http://x', headers: {webhook-id: x}}]", "alerting.receivers[0].headers.webhook-id"},
		{"trigger without match", "triggers: [{name: t, action: {type: webhook, url: 'http://x'}}]", "alerting.triggers[0].match"},
		{"action type", "triggers: [{name: t, match: {a: b}, action: {type: ssh, url: 'http://x'}}]", "alerting.triggers[0].action.type"},
		{"pagerduty key", "triggers: [{name: t, match: {a: b}, action: {type: pagerduty}}]", "alerting.triggers[0].action.routing_key"},
		{"body template", "triggers: [{name: t, match: {a: b}, action: {type: webhook, url: 'http://x', body: '{{.Alert'}}]", "alerting.triggers[0].action.body"},
		{"options on webhook", "triggers: [{name: t, match: {a: b}, action: {type: webhook, url: 'http://x', options: {a: b}}}]", "alerting.triggers[0].action.options"},
		{"rates", "triggers: [{name: t, match: {a: b}, action: {type: webhook, url: 'http://x'}, guardrails: {max_per_hour: 5, max_per_day: 2}}]", "alerting.triggers[0].guardrails.max_per_hour"},
		{"guardrail key", "triggers: [{name: t, match: {a: b}, action: {type: webhook, url: 'http://x'}, guardrails: {cooldwn: 1h}}]", "field cooldwn not found"},
		{"backoff", "delivery: {initial_backoff: 1h, max_backoff: 1m}", "alerting.delivery.initial_backoff"},
		{"priority", "alertmanager: {severity_priorities: {critical: P9}}", "alerting.alertmanager.severity_priorities.critical"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeConfig(t, tc.yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func FuzzConfig(f *testing.F) {
	f.Add(exampleYAML)
	f.Add("rules: [{name: a, kind: anomaly, measure: deployments, history: 7d}]")
	f.Fuzz(func(t *testing.T, s string) {
		var c Config
		dec := yaml.NewDecoder(strings.NewReader(s))
		dec.KnownFields(true)
		if dec.Decode(&c) != nil {
			return
		}
		if c.Validate() == nil {
			_ = c.withDefaults() // a valid config must take its defaults without panicking
		}
	})
}

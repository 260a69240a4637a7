package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/ingest/alertmanager"
)

// ErrBadInput marks a request the caller must fix (HTTP 400).
var ErrBadInput = errors.New("bad input")

// maxAlerts bounds the alerts of one Alertmanager notification.
const maxAlerts = 1000

// amIncoming is the part of an Alertmanager v4 notification the receiver
// acts on; the events are derived by ingest/alertmanager, never here.
type amIncoming struct {
	Version string `json:"version"`
	Alerts  []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    string            `json:"startsAt"`
		EndsAt      string            `json:"endsAt"`
		Fingerprint string            `json:"fingerprint"`
	} `json:"alerts"`
}

// ReceiveResult is what the receiver did with a notification.
type ReceiveResult struct {
	Alerts  int      `json:"alerts"`
	Events  int      `json:"events"`
	Actions []Action `json:"actions"`
}

// alertmanagerParser derives events the way POST /webhooks/alertmanager
// does. The route is behind the API's bearer tokens, so the parser's own
// credential check is never called: it gets a placeholder.
func (e *Engine) alertmanagerParser() (*alertmanager.Webhook, error) {
	am := e.cfg.Alertmanager
	return alertmanager.New(alertmanager.Options{
		Token:              "unused: /api/v1 authenticates",
		ServiceLabel:       am.ServiceLabel,
		EnvironmentLabel:   am.EnvironmentLabel,
		SeverityPriorities: am.SeverityPriorities,
		OpenIncidents:      am.OpenIncidents,
		IncidentSeverities: am.IncidentSeverities,
		DefaultService:     am.DefaultService,
	})
}

// ReceiveAlertmanager takes an Alertmanager webhook notification: its
// events (alerts, and incidents when configured) go to the sink, and its
// alerts drive the same runbook triggers as Throughline's own. An error
// wrapping ErrBadInput means the body is wrong; others are worth a retry.
func (e *Engine) ReceiveAlertmanager(ctx context.Context, body []byte) (ReceiveResult, error) {
	var n amIncoming
	if err := json.Unmarshal(body, &n); err != nil {
		return ReceiveResult{}, fmt.Errorf("%w: not an Alertmanager notification: %v", ErrBadInput, err)
	}
	if n.Version != "4" {
		return ReceiveResult{}, fmt.Errorf("%w: version: %q is not supported (want 4)", ErrBadInput, n.Version)
	}
	if len(n.Alerts) == 0 {
		return ReceiveResult{}, fmt.Errorf("%w: alerts: the notification has none", ErrBadInput)
	}
	if len(n.Alerts) > maxAlerts {
		return ReceiveResult{}, fmt.Errorf("%w: alerts: %d is more than %d", ErrBadInput, len(n.Alerts), maxAlerts)
	}
	parser, err := e.alertmanagerParser()
	if err != nil {
		return ReceiveResult{}, err
	}
	events, err := parser.Parse(nil, body)
	if err != nil {
		return ReceiveResult{}, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	type parsed struct {
		fp, name, status, incident string
		labels, ann                map[string]string
		starts, ends               time.Time
	}
	var items []parsed
	for i, a := range n.Alerts {
		starts, err := ingest.ParseTime(a.StartsAt)
		if err != nil {
			return ReceiveResult{}, fmt.Errorf("%w: alerts[%d].startsAt: %v", ErrBadInput, i, err)
		}
		p := parsed{fp: a.Fingerprint, name: a.Labels["alertname"], status: a.Status, labels: cloneLabels(a.Labels),
			ann: cloneLabels(a.Annotations), starts: starts.UTC()}
		if p.fp == "" {
			p.fp = Fingerprint(p.name, p.labels)
		}
		if a.Status == "resolved" {
			if p.ends, err = ingest.ParseTime(a.EndsAt); err != nil {
				return ReceiveResult{}, fmt.Errorf("%w: alerts[%d].endsAt: %v", ErrBadInput, i, err)
			}
		}
		for _, ev := range events {
			if ev.Type == ingest.TypeIncidentOpened && ev.Attributes != nil && ev.Subject == "am-"+a.Fingerprint+"-"+strconv.FormatInt(starts.Unix(), 10) {
				p.incident = ev.Subject
			}
		}
		items = append(items, p)
	}
	// Events first: if the store refuses them, Alertmanager retries the
	// whole notification, and the triggers below are idempotent per episode.
	if len(events) > 0 && e.o.Sink != nil {
		if err := e.o.Sink(ctx, events); err != nil {
			return ReceiveResult{}, fmt.Errorf("store the alert events: %w", err)
		}
	}
	res := ReceiveResult{Alerts: len(items), Events: len(events), Actions: []Action{}}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for _, p := range items {
		a := e.st.Alerts[p.fp]
		switch p.status {
		case "firing":
			if a != nil && a.State == StateFiring && a.episode().Equal(p.starts) {
				a.Annotations, a.UpdatedAt = p.ann, now
				continue // a repeat of a firing Alertmanager already told us of
			}
			a = &Alert{Fingerprint: p.fp, Rule: p.name, Source: "alertmanager", State: StateFiring,
				Severity: p.labels["severity"], Labels: p.labels, Annotations: p.ann,
				Explanation: p.ann["summary"], ActiveAt: p.starts, StartsAt: timePtr(p.starts), UpdatedAt: now,
				Incident: p.incident}
			if a.Explanation == "" {
				a.Explanation = p.ann["description"]
			}
			e.st.Alerts[p.fp] = a
			e.auditLocked(AuditRecord{Event: "alert.firing", Fingerprint: p.fp, Rule: p.name, Actor: "alertmanager", Detail: a.Explanation})
			e.fireLocked(a, now, false)
		case "resolved":
			if a != nil && a.State == StateFiring {
				e.resolveLocked(a, p.ends.UTC())
			}
		}
	}
	for _, act := range e.st.Actions {
		for _, p := range items {
			if act.Fingerprint == p.fp && act.Created.Equal(now) {
				res.Actions = append(res.Actions, *act)
			}
		}
	}
	e.pruneLocked(now)
	e.refreshGauge()
	e.saveLocked()
	return res, nil
}

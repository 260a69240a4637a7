package pagerduty

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

const source = "pagerduty"

// Options configures the PagerDuty webhook.
type Options struct {
	// Secret is the subscription's signing secret (required).
	Secret string `yaml:"secret"`
	// ServiceMap maps a PagerDuty service name (data.service.summary) or id
	// to a service; unmapped names are used as they are.
	ServiceMap map[string]string `yaml:"service_map"`
}

// Validate checks the options, naming the offending key.
func (o Options) Validate() error {
	if o.Secret == "" {
		return errors.New("pagerduty.secret: required (the webhook subscription's signing secret)")
	}
	for k, v := range o.ServiceMap {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("pagerduty.service_map: empty name in %q: %q", k, v)
		}
	}
	return nil
}

// Webhook decodes PagerDuty v3 webhooks. It is safe for concurrent use.
type Webhook struct{ o Options }

// New returns a Webhook for o, or the first problem with o.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Webhook{o: o}, nil
}

// Source returns "pagerduty".
func (w *Webhook) Source() string { return source }

// Verify checks X-PagerDuty-Signature: one or more comma-separated
// "v1=<hex HMAC-SHA256 of the body>" (several during a secret rotation);
// one match is enough.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	sig := h.Get("X-PagerDuty-Signature")
	if sig == "" {
		return fmt.Errorf("%w: no X-PagerDuty-Signature header", ingest.ErrUnauthorized)
	}
	mac := hmac.New(sha256.New, []byte(w.o.Secret))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, part := range strings.Split(sig, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(v)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: X-PagerDuty-Signature does not match", ingest.ErrUnauthorized)
}

type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
}

type payload struct {
	Event *struct {
		ID           string `json:"id"`
		EventType    string `json:"event_type"`
		ResourceType string `json:"resource_type"`
		OccurredAt   string `json:"occurred_at"`
		Agent        *ref   `json:"agent"`
		Data         *struct {
			ID               string `json:"id"`
			Type             string `json:"type"`
			HTMLURL          string `json:"html_url"`
			Status           string `json:"status"`
			Service          *ref   `json:"service"`
			Priority         *ref   `json:"priority"`
			Urgency          string `json:"urgency"`
			Teams            []ref  `json:"teams"`
			EscalationPolicy *ref   `json:"escalation_policy"`
		} `json:"data"`
	} `json:"event"`
}

var types = map[string]string{
	"incident.triggered":    ingest.TypeIncidentOpened,
	"incident.acknowledged": ingest.TypeIncidentAcknowledged,
	"incident.resolved":     ingest.TypeIncidentResolved,
	"incident.reopened":     ingest.TypeIncidentReopened,
}

// Parse decodes one v3 webhook into at most one event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: not a PagerDuty v3 webhook: %v", ingest.ErrPayload, err)
	}
	ev := p.Event
	if ev == nil {
		return nil, fmt.Errorf("%w: event: missing (only v3 webhooks are supported)", ingest.ErrPayload)
	}
	if ev.EventType == "pagey.ping" {
		return nil, fmt.Errorf("%w: pagey.ping test delivery", ingest.ErrIgnored)
	}
	typ, ok := types[ev.EventType]
	if !ok {
		if ev.EventType == "" {
			return nil, fmt.Errorf("%w: event.event_type: missing", ingest.ErrPayload)
		}
		return nil, fmt.Errorf("%w: event type %q carries nothing for the measures", ingest.ErrIgnored, ev.EventType)
	}
	if ev.Data == nil || ev.Data.ID == "" {
		return nil, fmt.Errorf("%w: event.data.id: missing", ingest.ErrPayload)
	}
	t, err := ingest.ParseTime(ev.OccurredAt)
	if err != nil {
		return nil, fmt.Errorf("%w: event.occurred_at: %v", ingest.ErrPayload, err)
	}
	d := ev.Data
	e := ingest.Event{
		Source:     source,
		Type:       typ,
		Time:       t,
		Subject:    d.ID,
		Attributes: map[string]string{"pagerduty_event_id": ev.ID},
	}
	suffix := strings.TrimPrefix(typ, "incident.")
	e.ID = d.ID + ":" + suffix + ":" + t.UTC().Format(time.RFC3339Nano)
	if len(d.Teams) > 0 && d.Teams[0].Summary != "" {
		// The team owning the incident plays the ITSM assignment group's role.
		e.Attributes["assignment_group"] = d.Teams[0].Summary
	}
	if d.EscalationPolicy != nil && d.EscalationPolicy.Summary != "" {
		e.Attributes["escalation_policy"] = d.EscalationPolicy.Summary
	}
	if d.Urgency != "" {
		e.Attributes["urgency"] = d.Urgency
	}
	if d.HTMLURL != "" {
		e.Attributes["url"] = d.HTMLURL
	}
	switch typ {
	case ingest.TypeIncidentOpened:
		// One incident opens once, whatever occurred_at a re-delivery says.
		e.ID = d.ID + ":opened"
		if d.Service == nil || (d.Service.Summary == "" && d.Service.ID == "") {
			return nil, fmt.Errorf("%w: event.data.service: missing on incident.triggered", ingest.ErrPayload)
		}
		e.Service = w.service(d.Service)
		if d.Priority != nil && isPriority(d.Priority.Summary) {
			e.Priority = d.Priority.Summary
		}
	case ingest.TypeIncidentResolved:
		// Resolved by a service or an integration (auto-resolve from the
		// monitoring tool), not by a user: self-healing.
		e.Automated = ev.Agent != nil && ev.Agent.Type != "" && ev.Agent.Type != "user_reference"
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{e}, nil
}

func (w *Webhook) service(s *ref) string {
	if v, ok := w.o.ServiceMap[s.Summary]; ok {
		return v
	}
	if v, ok := w.o.ServiceMap[s.ID]; ok {
		return v
	}
	if s.Summary != "" {
		return s.Summary
	}
	return s.ID
}

func isPriority(s string) bool {
	return len(s) == 2 && s[0] == 'P' && s[1] >= '1' && s[1] <= '5'
}

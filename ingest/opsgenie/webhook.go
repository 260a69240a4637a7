package opsgenie

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

const source = "opsgenie"

// Options configures the Opsgenie webhook.
type Options struct {
	// Header and Secret: the integration sends Secret in this header
	// (default X-Throughline-Token).
	Header string `yaml:"header"`
	Secret string `yaml:"secret"`
	// Username and Password enable HTTP Basic auth instead (or as well).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// AlertsAreIncidents makes alerts incident events (default true; see
	// the package doc). False makes them alert events.
	AlertsAreIncidents *bool `yaml:"alerts_are_incidents"`
	// ServiceTagPrefix: a tag "<prefix><name>" names the service (default
	// "service:"). Then the first team, then the entity are tried.
	ServiceTagPrefix string `yaml:"service_tag_prefix"`
	// EnvironmentTagPrefix: a tag "<prefix><name>" names the environment
	// (default "env:").
	EnvironmentTagPrefix string `yaml:"environment_tag_prefix"`
	// ServiceMap maps a found name (tag value, team or entity) to a service.
	ServiceMap map[string]string `yaml:"service_map"`
	// DefaultService is used when nothing names a service (default "unassigned").
	DefaultService string `yaml:"default_service"`
}

// Validate checks the options, naming the offending key.
func (o Options) Validate() error {
	if o.Secret == "" && o.Username == "" {
		return errors.New("opsgenie.secret: set secret or username and password (Opsgenie webhooks must authenticate)")
	}
	if (o.Username == "") != (o.Password == "") {
		return errors.New("opsgenie.password: username and password go together")
	}
	if o.Header != "" && strings.ContainsAny(o.Header, " :\t") {
		return fmt.Errorf("opsgenie.header: %q is not a header name", o.Header)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Header == "" {
		o.Header = "X-Throughline-Token"
	}
	if o.AlertsAreIncidents == nil {
		t := true
		o.AlertsAreIncidents = &t
	}
	if o.ServiceTagPrefix == "" {
		o.ServiceTagPrefix = "service:"
	}
	if o.EnvironmentTagPrefix == "" {
		o.EnvironmentTagPrefix = "env:"
	}
	if o.DefaultService == "" {
		o.DefaultService = "unassigned"
	}
	return o
}

// Webhook decodes Opsgenie deliveries. It is safe for concurrent use.
type Webhook struct{ o Options }

// New returns a Webhook for o, or the first problem with o.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Webhook{o: o.withDefaults()}, nil
}

// Source returns "opsgenie".
func (w *Webhook) Source() string { return source }

// Verify accepts the shared-secret header or HTTP Basic auth.
func (w *Webhook) Verify(h http.Header, _ []byte) error {
	if w.o.Secret != "" {
		if v := h.Get(w.o.Header); v != "" && equal(v, w.o.Secret) {
			return nil
		}
	}
	if w.o.Username != "" {
		if c, ok := strings.CutPrefix(h.Get("Authorization"), "Basic "); ok {
			raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c))
			u, p, _ := strings.Cut(string(raw), ":")
			uok, pok := equal(u, w.o.Username), equal(p, w.o.Password)
			if err == nil && uok && pok {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: missing or wrong %s header or basic credentials", ingest.ErrUnauthorized, w.o.Header)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

type payload struct {
	Action string `json:"action"`
	Alert  *struct {
		AlertID   string          `json:"alertId"`
		TinyID    string          `json:"tinyId"`
		Alias     string          `json:"alias"`
		Message   string          `json:"message"`
		Entity    string          `json:"entity"`
		Tags      []string        `json:"tags"`
		Teams     json.RawMessage `json:"teams"`
		CreatedAt json.Number     `json:"createdAt"`
		UpdatedAt json.Number     `json:"updatedAt"`
		Priority  json.RawMessage `json:"priority"`
		Username  string          `json:"username"`
	} `json:"alert"`
}

// Parse decodes one delivery into at most one event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var p payload
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: not an Opsgenie webhook: %v", ingest.ErrPayload, err)
	}
	if p.Action == "" {
		return nil, fmt.Errorf("%w: action: missing", ingest.ErrPayload)
	}
	incidents := *w.o.AlertsAreIncidents
	var typ, suffix string
	timeField := "updatedAt"
	switch strings.ToLower(p.Action) {
	case "create":
		typ, suffix, timeField = ingest.TypeAlertFiring, "firing", "createdAt"
		if incidents {
			typ, suffix = ingest.TypeIncidentOpened, "opened"
		}
	case "acknowledge":
		if !incidents {
			return nil, fmt.Errorf("%w: Acknowledge of an alert (alerts_are_incidents is false)", ingest.ErrIgnored)
		}
		typ, suffix = ingest.TypeIncidentAcknowledged, "acknowledged"
	case "close":
		typ, suffix = ingest.TypeAlertResolved, "resolved"
		if incidents {
			typ = ingest.TypeIncidentResolved
		}
	default:
		return nil, fmt.Errorf("%w: action %q carries nothing for the measures", ingest.ErrIgnored, p.Action)
	}
	a := p.Alert
	if a == nil || a.AlertID == "" {
		return nil, fmt.Errorf("%w: alert.alertId: missing", ingest.ErrPayload)
	}
	raw := a.UpdatedAt
	if timeField == "createdAt" || raw == "" {
		raw, timeField = a.CreatedAt, "createdAt"
	}
	t, err := epoch(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: alert.%s: %v", ingest.ErrPayload, timeField, err)
	}
	e := ingest.Event{
		ID:         a.AlertID + ":" + suffix,
		Source:     source,
		Type:       typ,
		Time:       t,
		Subject:    a.AlertID,
		Attributes: map[string]string{},
	}
	if typ == ingest.TypeIncidentResolved || typ == ingest.TypeAlertResolved {
		// An alert can be closed again after a re-open.
		e.ID += ":" + t.UTC().Format(time.RFC3339Nano)
	}
	teams := teamNames(a.Teams)
	if len(teams) > 0 {
		e.Attributes["assignment_group"] = teams[0]
	}
	for k, v := range map[string]string{"tiny_id": a.TinyID, "alias": a.Alias, "entity": a.Entity} {
		if v != "" {
			e.Attributes[k] = v
		}
	}
	if typ == ingest.TypeIncidentOpened || typ == ingest.TypeAlertFiring {
		e.Service = w.service(a.Tags, teams, a.Entity)
		e.Priority = priority(a.Priority)
		for _, tag := range a.Tags {
			if env, ok := strings.CutPrefix(tag, w.o.EnvironmentTagPrefix); ok && env != "" {
				e.Environment = env
				break
			}
		}
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{e}, nil
}

// epoch reads Opsgenie's epoch numbers, whose unit varies by field
// (createdAt is milliseconds, updatedAt nanoseconds): the magnitude tells.
func epoch(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, errors.New("missing")
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || v <= 0 {
		return time.Time{}, fmt.Errorf("%q is not an epoch time", n)
	}
	switch {
	case v >= 1e17:
		return time.Unix(0, v), nil
	case v >= 1e14:
		return time.UnixMicro(v), nil
	case v >= 1e11:
		return time.UnixMilli(v), nil
	}
	return time.Unix(v, 0), nil
}

// teamNames accepts teams as names or as objects with a name.
func teamNames(raw json.RawMessage) []string {
	var names []string
	if json.Unmarshal(raw, &names) == nil {
		return names
	}
	var objs []struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(raw, &objs)
	for _, o := range objs {
		if o.Name != "" {
			names = append(names, o.Name)
		}
	}
	return names
}

func (w *Webhook) service(tags, teams []string, entity string) string {
	name := ""
	for _, tag := range tags {
		if s, ok := strings.CutPrefix(tag, w.o.ServiceTagPrefix); ok && s != "" {
			name = s
			break
		}
	}
	if name == "" && len(teams) > 0 {
		name = teams[0]
	}
	if name == "" {
		name = entity
	}
	if s, ok := w.o.ServiceMap[name]; ok {
		return s
	}
	if name == "" {
		return w.o.DefaultService
	}
	return name
}

// priority accepts "P1".."P5" or a number 1..5.
func priority(raw json.RawMessage) string {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	s = strings.TrimPrefix(strings.ToUpper(s), "P")
	if len(s) == 1 && s[0] >= '1' && s[0] <= '5' {
		return "P" + s
	}
	return ""
}

package alertmanager

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

const source = "alertmanager"

// Options configures the Alertmanager webhook.
type Options struct {
	// Token is accepted as "Authorization: Bearer <token>".
	Token string `yaml:"token"`
	// Username and Password are accepted as HTTP Basic auth.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// ServiceLabel names the label holding the service (default "service").
	ServiceLabel string `yaml:"service_label"`
	// EnvironmentLabel names the label holding the environment (default
	// "environment").
	EnvironmentLabel string `yaml:"environment_label"`
	// SeverityPriorities maps the severity label to P1..P5 (default
	// critical P1, error/high P2, warning P3, low P4, info P5).
	SeverityPriorities map[string]string `yaml:"severity_priorities"`
	// OpenIncidents makes firing alerts of IncidentSeverities also open
	// incidents, and their resolution resolve them.
	OpenIncidents bool `yaml:"open_incidents"`
	// IncidentSeverities (default ["critical"]).
	IncidentSeverities []string `yaml:"incident_severities"`
	// DefaultService names an incident's service when the alert has no
	// service label (default "unassigned").
	DefaultService string `yaml:"default_service"`
}

// Validate checks the options, naming the offending key.
func (o Options) Validate() error {
	if o.Token == "" && o.Username == "" {
		return errors.New("alertmanager.token: set token or username and password (Alertmanager webhooks must authenticate)")
	}
	if (o.Username == "") != (o.Password == "") {
		return errors.New("alertmanager.password: username and password go together")
	}
	for sev, p := range o.SeverityPriorities {
		if len(p) != 2 || p[0] != 'P' || p[1] < '1' || p[1] > '5' {
			return fmt.Errorf("alertmanager.severity_priorities.%s: must be P1..P5, not %q", sev, p)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.ServiceLabel == "" {
		o.ServiceLabel = "service"
	}
	if o.EnvironmentLabel == "" {
		o.EnvironmentLabel = "environment"
	}
	if o.SeverityPriorities == nil {
		o.SeverityPriorities = map[string]string{
			"critical": "P1", "error": "P2", "high": "P2", "warning": "P3", "low": "P4", "info": "P5",
		}
	}
	if len(o.IncidentSeverities) == 0 {
		o.IncidentSeverities = []string{"critical"}
	}
	if o.DefaultService == "" {
		o.DefaultService = "unassigned"
	}
	return o
}

// Webhook decodes Alertmanager notifications. It is safe for concurrent use.
type Webhook struct{ o Options }

// New returns a Webhook for o, or the first problem with o.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Webhook{o: o.withDefaults()}, nil
}

// Source returns "alertmanager".
func (w *Webhook) Source() string { return source }

// Verify accepts the bearer token or the basic credentials.
func (w *Webhook) Verify(h http.Header, _ []byte) error {
	auth := h.Get("Authorization")
	scheme, cred, _ := strings.Cut(auth, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		if w.o.Token != "" && equal(cred, w.o.Token) {
			return nil
		}
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		u, p, _ := strings.Cut(string(raw), ":")
		uok, pok := equal(u, w.o.Username), equal(p, w.o.Password)
		if err == nil && w.o.Username != "" && uok && pok {
			return nil
		}
	}
	if auth == "" {
		return fmt.Errorf("%w: no Authorization header", ingest.ErrUnauthorized)
	}
	return fmt.Errorf("%w: credentials do not match", ingest.ErrUnauthorized)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

type alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type notification struct {
	Version  string  `json:"version"`
	Receiver string  `json:"receiver"`
	Status   string  `json:"status"`
	Alerts   []alert `json:"alerts"`
}

// maxLabelAttributes bounds the labels copied into attributes.
const maxLabelAttributes = 64

// Parse decodes one notification into events for each of its alerts.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("%w: not an Alertmanager notification: %v", ingest.ErrPayload, err)
	}
	if n.Version != "" && n.Version != "4" {
		return nil, fmt.Errorf("%w: version: %q is not supported (want 4)", ingest.ErrPayload, n.Version)
	}
	if len(n.Alerts) == 0 {
		return nil, fmt.Errorf("%w: notification has no alerts", ingest.ErrIgnored)
	}
	var out []ingest.Event
	var bad ingest.ItemErrors
	for i, a := range n.Alerts {
		evs, err := w.alert(n.Receiver, a)
		if err != nil {
			bad = append(bad, ingest.ItemError{Item: fmt.Sprintf("alerts[%d]", i), Err: err})
			continue
		}
		out = append(out, evs...)
	}
	return ingest.Partial(out, bad)
}

func (w *Webhook) alert(receiver string, a alert) ([]ingest.Event, error) {
	fp := a.Fingerprint
	if fp == "" {
		fp = fingerprint(a.Labels)
	}
	starts, err := ingest.ParseTime(a.StartsAt)
	if err != nil {
		return nil, fmt.Errorf("startsAt: %v", err)
	}
	var typ, suffix string
	t := starts
	switch a.Status {
	case "firing":
		typ, suffix = ingest.TypeAlertFiring, "firing"
	case "resolved":
		typ, suffix = ingest.TypeAlertResolved, "resolved"
		if t, err = ingest.ParseTime(a.EndsAt); err != nil {
			return nil, fmt.Errorf("endsAt: %v", err)
		}
	default:
		return nil, fmt.Errorf("status: %q is neither firing nor resolved", a.Status)
	}
	sev := a.Labels["severity"]
	e := ingest.Event{
		ID:          fp + ":" + suffix + ":" + t.UTC().Format(time.RFC3339Nano),
		Source:      source,
		Type:        typ,
		Time:        t,
		Subject:     fp,
		Service:     a.Labels[w.o.ServiceLabel],
		Environment: a.Labels[w.o.EnvironmentLabel],
		Priority:    w.o.SeverityPriorities[strings.ToLower(sev)],
		Attributes:  map[string]string{},
	}
	if receiver != "" {
		e.Attributes["receiver"] = receiver
	}
	if s := a.Annotations["summary"]; s != "" {
		e.Attributes["summary"] = s
	}
	if a.GeneratorURL != "" {
		e.Attributes["generator_url"] = a.GeneratorURL
	}
	names := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names[:min(len(names), maxLabelAttributes)] {
		if k != "" {
			e.Attributes["label."+k] = a.Labels[k]
		}
	}
	out := []ingest.Event{e}

	if w.o.OpenIncidents && contains(w.o.IncidentSeverities, sev) {
		inc := e
		inc.Attributes = maps.Clone(e.Attributes)
		inc.Subject = "am-" + fp + "-" + strconv.FormatInt(starts.Unix(), 10)
		if typ == ingest.TypeAlertFiring {
			inc.Type, inc.ID = ingest.TypeIncidentOpened, inc.Subject+":opened"
			if inc.Service == "" {
				inc.Service = w.o.DefaultService
			}
		} else {
			inc.Type, inc.ID = ingest.TypeIncidentResolved, inc.Subject+":resolved"
			// The alert cleared and the incident closed with no person
			// acting: self-healing, as far as Throughline can tell.
			inc.Automated = true
		}
		out = append(out, inc)
	}
	for i := range out {
		out[i].Normalize()
		if err := out[i].Validate(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fingerprint stands in for Alertmanager's when an old version sends none:
// a stable hash of the sorted label set.
func fingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0xff})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0xff})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

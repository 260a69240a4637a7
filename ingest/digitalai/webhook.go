package digitalai

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "digitalai"

// Webhook parses Digital.ai Release notifications. It is safe for concurrent
// use.
type Webhook struct {
	opts   Options
	deploy []*regexp.Regexp
}

var _ ingest.Webhook = (*Webhook)(nil)

// New validates o, applies its defaults and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("digitalai webhook: %w", err)
	}
	deploy, err := compile(o.DeployTemplates)
	if err != nil {
		return nil, fmt.Errorf("digitalai webhook: %w", err)
	}
	return &Webhook{opts: o.withDefaults(), deploy: deploy}, nil
}

// Source returns "digitalai".
func (w *Webhook) Source() string { return Source }

// Verify accepts X-Throughline-Token matching Options.Token, or basic auth
// matching Options.Username/Password. With neither configured every
// request passes.
func (w *Webhook) Verify(h http.Header, _ []byte) error {
	if w.opts.Token == "" && w.opts.Username == "" {
		return nil
	}
	if tok := h.Get("X-Throughline-Token"); tok != "" && w.opts.Token != "" {
		if subtle.ConstantTimeCompare([]byte(tok), []byte(w.opts.Token)) != 1 {
			return fmt.Errorf("%w: X-Throughline-Token does not match", ingest.ErrUnauthorized)
		}
		return nil
	}
	if w.opts.Username != "" {
		r := http.Request{Header: h}
		if user, pass, ok := r.BasicAuth(); ok {
			u := subtle.ConstantTimeCompare([]byte(user), []byte(w.opts.Username))
			p := subtle.ConstantTimeCompare([]byte(pass), []byte(w.opts.Password))
			if u&p != 1 {
				return fmt.Errorf("%w: basic auth credentials do not match", ingest.ErrUnauthorized)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: send X-Throughline-Token or basic auth credentials", ingest.ErrUnauthorized)
}

type item struct {
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	Status    string          `json:"status"`
	StartDate json.RawMessage `json:"startDate"`
	EndDate   json.RawMessage `json:"endDate"`
	Variables json.RawMessage `json:"variables"`
	Tags      []string        `json:"tags"`
}

type envelope struct {
	Event   string `json:"event"`
	Release *item  `json:"release"`
	Phase   *item  `json:"phase"`
}

// Parse maps one notification to at most one deployment.finished event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: not a Digital.ai Release JSON object: %v", ingest.ErrPayload, err)
	}
	prefix := "release."
	if env.Release == nil {
		var rel item
		if err := json.Unmarshal(body, &rel); err != nil {
			return nil, fmt.Errorf("%w: not a Digital.ai Release JSON object: %v", ingest.ErrPayload, err)
		}
		env.Release, prefix = &rel, ""
	}
	rel := env.Release
	rel.ID, rel.Title = strings.TrimSpace(rel.ID), strings.TrimSpace(rel.Title)
	if rel.ID == "" {
		return nil, fmt.Errorf("%w: %sid: is required (the release id)", ingest.ErrPayload, prefix)
	}
	vars, err := variables(rel.Variables)
	if err != nil {
		return nil, fmt.Errorf("%w: %svariables: %v", ingest.ErrPayload, prefix, err)
	}
	environment := vars[w.opts.EnvironmentVariable]
	// The deployment is the phase when the notification is about one.
	subj, subjPrefix := rel, prefix
	if env.Phase != nil {
		subj, subjPrefix = env.Phase, "phase."
		subj.ID = strings.TrimSpace(subj.ID)
		if subj.ID == "" {
			return nil, fmt.Errorf("%w: phase.id: is required", ingest.ErrPayload)
		}
		if environment == "" {
			environment = w.opts.PhaseEnvironments[strings.TrimSpace(subj.Title)]
		}
	}
	if environment == "" && !w.isDeploy(rel.Title) {
		return nil, fmt.Errorf("%w: release %q matches no deploy_templates and has no %s variable (nor a phase in phase_environments)", ingest.ErrIgnored, rel.Title, w.opts.EnvironmentVariable)
	}
	var outcome string
	switch strings.ToUpper(strings.TrimSpace(subj.Status)) {
	case "COMPLETED":
		outcome = "success"
	case "FAILED", "ABORTED":
		outcome = "failure"
	case "":
		return nil, fmt.Errorf("%w: %sstatus: is required", ingest.ErrPayload, subjPrefix)
	default:
		return nil, fmt.Errorf("%w: %sstatus %s: not finished", ingest.ErrIgnored, subjPrefix, subj.Status)
	}
	t, err := parseDate(subj.EndDate)
	if err != nil {
		return nil, fmt.Errorf("%w: %sendDate: %v", ingest.ErrPayload, subjPrefix, err)
	}
	if environment == "" {
		return nil, fmt.Errorf("%w: %svariables.%s: is required for a deployment (or map the phase title in phase_environments)", ingest.ErrPayload, prefix, w.opts.EnvironmentVariable)
	}
	service := vars[w.opts.ServiceVariable]
	if service == "" {
		service = w.opts.DefaultService
	}
	if service == "" {
		return nil, fmt.Errorf("%w: %svariables.%s: is required for a deployment (or set default_service)", ingest.ErrPayload, prefix, w.opts.ServiceVariable)
	}
	ev := ingest.Event{
		ID: subj.ID, Source: Source, Type: ingest.TypeDeploymentFinished, Time: t, Subject: subj.ID,
		Service: service, Environment: environment, Outcome: outcome, Attributes: map[string]string{},
	}
	if c := vars[w.opts.CommitVariable]; c != "" {
		ev.Commits = []string{c}
	}
	for k, v := range map[string]string{
		"release_id": rel.ID, "release_title": rel.Title, "release_status": strings.ToUpper(rel.Status),
		"event": env.Event,
	} {
		if v = strings.TrimSpace(v); v != "" && len(v) <= 8192 {
			ev.Attributes[k] = v
		}
	}
	if env.Phase != nil {
		ev.Attributes["phase_title"] = strings.TrimSpace(env.Phase.Title)
	}
	if len(rel.Tags) > 0 && len(rel.Tags) <= 100 {
		if b, err := json.Marshal(rel.Tags); err == nil && len(b) <= 8192 {
			ev.Attributes["tags"] = string(b)
		}
	}
	ev.Normalize()
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{ev}, nil
}

func (w *Webhook) isDeploy(title string) bool {
	for _, re := range w.deploy {
		if re.MatchString(title) {
			return true
		}
	}
	return false
}

// variables reads Release variables as the REST API writes them (an array
// of {key, value}) or as a plain object, keys with or without ${...}.
// Only string-like values are kept.
func variables(raw json.RawMessage) (map[string]string, error) {
	out := map[string]string{}
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return out, nil
	}
	put := func(k string, v json.RawMessage) {
		k = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(k), "${"), "}")
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = strings.TrimSpace(str)
			return
		}
		var n json.Number
		if json.Unmarshal(v, &n) == nil {
			out[k] = n.String()
		}
	}
	if s[0] == '[' {
		var list []struct {
			Key   string          `json:"key"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("must be an array of {key, value} or an object")
		}
		for _, v := range list {
			put(v.Key, v.Value)
		}
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("must be an array of {key, value} or an object")
	}
	for k, v := range m {
		put(k, v)
	}
	return out, nil
}

// parseDate reads RFC 3339, Release's "2006-01-02T15:04:05.000-0700", or
// epoch milliseconds.
func parseDate(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, fmt.Errorf("is required for a finished release or phase")
	}
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
		s = strings.TrimSpace(s)
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		t := time.UnixMilli(ms).UTC()
		if t.Year() < 1971 || t.Year() > 2105 {
			return time.Time{}, fmt.Errorf("%d ms is out of range (1971..2105)", ms)
		}
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999-0700", s); err == nil {
		return ingest.ParseTime(t.Format(time.RFC3339Nano))
	}
	return ingest.ParseTime(s)
}

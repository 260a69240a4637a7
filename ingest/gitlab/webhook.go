package gitlab

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "gitlab"

// Webhook parses GitLab webhook deliveries. It is safe for concurrent use.
type Webhook struct {
	opts   Options
	deploy []*regexp.Regexp
}

var (
	_ ingest.Webhook      = (*Webhook)(nil)
	_ ingest.DeliveryIDer = (*Webhook)(nil)
)

// New validates o, applies its defaults and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("gitlab webhook: %w", err)
	}
	o = o.withDefaults()
	deploy, err := compilePatterns("deploy_workflows", o.DeployWorkflows)
	if err != nil {
		return nil, fmt.Errorf("gitlab webhook: %w", err)
	}
	return &Webhook{opts: o, deploy: deploy}, nil
}

// Source returns "gitlab".
func (w *Webhook) Source() string { return Source }

// DeliveryID returns the X-Gitlab-Event-UUID header (X-Gitlab-Webhook-UUID
// is the hook's, not the delivery's).
func (w *Webhook) DeliveryID(h http.Header) string { return h.Get("X-Gitlab-Event-UUID") }

// Verify compares X-Gitlab-Token with Options.Secret in constant time.
// Without a secret every request passes.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	if w.opts.Secret == "" {
		return nil
	}
	tok := h.Get("X-Gitlab-Token")
	if tok == "" {
		return fmt.Errorf("%w: X-Gitlab-Token header is missing", ingest.ErrUnauthorized)
	}
	// Hashing first makes the comparison constant-time in the length too.
	got, want := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(w.opts.Secret))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("%w: X-Gitlab-Token does not match", ingest.ErrUnauthorized)
	}
	return nil
}

// headerKinds maps X-Gitlab-Event to object_kind, for payloads without one.
var headerKinds = map[string]string{
	"Push Hook": "push", "Tag Push Hook": "tag_push", "Merge Request Hook": "merge_request",
	"Pipeline Hook": "pipeline", "Job Hook": "build", "Deployment Hook": "deployment",
	"Issue Hook": "issue", "Confidential Issue Hook": "issue",
}

// Parse maps one delivery to events. The payload's object_kind decides;
// X-Gitlab-Event is used only when the payload has none.
func (w *Webhook) Parse(h http.Header, body []byte) ([]ingest.Event, error) {
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: body is not JSON: %s", ingest.ErrPayload, syntaxErr(body))
	}
	var env struct {
		ObjectKind string `json:"object_kind"`
	}
	if err := decode("payload", body, &env); err != nil {
		return nil, err
	}
	kind := env.ObjectKind
	if kind == "" {
		kind = headerKinds[h.Get("X-Gitlab-Event")]
	}
	if kind == "" {
		return nil, fmt.Errorf("%w: payload has no object_kind and X-Gitlab-Event %q is not known", ingest.ErrPayload, h.Get("X-Gitlab-Event"))
	}
	var events []ingest.Event
	var err error
	switch kind {
	case "push":
		events, err = w.push(body)
	case "merge_request":
		events, err = w.mergeRequest(body)
	case "pipeline":
		events, err = w.pipeline(body)
	case "build":
		events, err = w.job(body)
	case "deployment":
		events, err = w.deployment(body)
	case "issue":
		events, err = w.issue(body)
	default:
		return nil, fmt.Errorf("%w: object_kind %q is not used", ingest.ErrIgnored, kind)
	}
	if err != nil {
		return nil, err
	}
	return finish(kind, events)
}

func syntaxErr(body []byte) string {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if err == nil {
		return "invalid JSON"
	}
	return err.Error()
}

// decode unmarshals body into v, naming the event and the field whose JSON
// type is wrong.
func decode(name string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%w: %s: field %s must be %s, not %s", ingest.ErrPayload, name, te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("%w: %s: %v", ingest.ErrPayload, name, err)
	}
	return nil
}

// finish normalises and validates every event; a payload that yields an
// invalid event is the sender's problem, reported with the field.
func finish(name string, events []ingest.Event) ([]ingest.Event, error) {
	for i := range events {
		events[i].Source = Source
		events[i].Normalize()
		if err := events[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s: event %s: %v", ingest.ErrPayload, name, events[i].ID, err)
		}
	}
	return events, nil
}

func (w *Webhook) service(projectPath string) string {
	if s, ok := w.opts.RepoServices[projectPath]; ok {
		return s
	}
	if i := strings.LastIndexByte(projectPath, '/'); i >= 0 {
		return projectPath[i+1:]
	}
	return projectPath
}

// environment writes production environments with their configured
// spelling and leaves others as GitLab sent them.
func (w *Webhook) environment(env string) string {
	env = strings.TrimSpace(env)
	for _, p := range w.opts.ProductionEnvironments {
		if strings.EqualFold(env, p) {
			return p
		}
	}
	return env
}

func (w *Webhook) incidentEnvironment() string { return w.opts.ProductionEnvironments[0] }

func (w *Webhook) isIncidentLabel(name string) bool {
	for _, l := range w.opts.IncidentLabels {
		if strings.EqualFold(strings.TrimSpace(name), strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// commits lists the non-empty, distinct ids in order.
func commits(ids ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// attrs builds an attribute map without empty values.
func attrs(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

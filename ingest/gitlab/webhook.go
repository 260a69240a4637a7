package gitlab

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

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
	deploy, err := ingest.CompilePatterns("deploy_workflows", o.DeployWorkflows)
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
	if !ingest.EqualSecret(tok, w.opts.Secret) {
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
		return nil, fmt.Errorf("%w: body is not JSON: %s", ingest.ErrPayload, ingest.JSONSyntaxError(body))
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
	return ingest.FinishWith(Source, kind, events, err)
}

func (w *Webhook) incidentEnvironment() string { return w.opts.ProductionEnvironments[0] }

// service maps a repository through RepoServices, defaulting to its last
// path segment.
func (w *Webhook) service(projectPath string) string {
	return ingest.ServiceOf(projectPath, w.opts.RepoServices)
}

// environment writes production environments with their configured
// spelling and leaves others as GitLab sent them.
func (w *Webhook) environment(env string) string {
	return ingest.CanonicalEnvironment(env, w.opts.ProductionEnvironments)
}

func (w *Webhook) isIncidentLabel(name string) bool {
	return ingest.HasLabel(name, w.opts.IncidentLabels)
}

// decode, commits and attrs are the shared ingest helpers under the names
// this package's parsers use.
func decode(name string, body []byte, v any) error { return ingest.DecodeJSON(name, body, v) }
func commits(ids ...string) []string               { return ingest.CommitIDs(ids...) }
func attrs(kv ...string) map[string]string         { return ingest.Attrs(kv...) }

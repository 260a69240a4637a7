package github

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "github"

// Webhook parses GitHub webhook deliveries. It is safe for concurrent use.
type Webhook struct {
	opts     Options
	deploy   []*regexp.Regexp
	workItem *regexp.Regexp // nil: no linking
}

var (
	_ ingest.Webhook      = (*Webhook)(nil)
	_ ingest.DeliveryIDer = (*Webhook)(nil)
)

// New validates o, applies its defaults and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("github webhook: %w", err)
	}
	o = o.withDefaults()
	deploy, err := ingest.CompilePatterns("deploy_workflows", o.DeployWorkflows)
	if err != nil {
		return nil, fmt.Errorf("github webhook: %w", err)
	}
	w := &Webhook{opts: o, deploy: deploy}
	switch o.WorkItemPattern {
	case "-":
	case "":
		w.workItem = regexp.MustCompile(DefaultWorkItemPattern)
	default:
		w.workItem = regexp.MustCompile(o.WorkItemPattern) // checked by Validate
	}
	return w, nil
}

// Source returns "github".
func (w *Webhook) Source() string { return Source }

// DeliveryID returns the X-GitHub-Delivery header: one id per delivery,
// kept across GitHub's redeliveries of it.
func (w *Webhook) DeliveryID(h http.Header) string { return h.Get("X-GitHub-Delivery") }

// Verify checks X-Hub-Signature-256 ("sha256=" and the hex HMAC-SHA256 of
// the body under Options.Secret). Without a secret every request passes.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	if w.opts.Secret == "" {
		return nil
	}
	sig := h.Get("X-Hub-Signature-256")
	return ingest.CheckSHA256Signature("X-Hub-Signature-256", sig, w.opts.Secret, body)
}

// Parse maps one delivery to events. The event name comes from the
// X-GitHub-Event header; GitHub's form-encoded content type
// (payload=<json>) is accepted as well as JSON.
func (w *Webhook) Parse(h http.Header, body []byte) ([]ingest.Event, error) {
	name := strings.TrimSpace(h.Get("X-GitHub-Event"))
	if name == "" {
		return nil, fmt.Errorf("%w: X-GitHub-Event header is missing", ingest.ErrPayload)
	}
	body, err := jsonBody(h, body)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: %s body is not JSON: %s", ingest.ErrPayload, name, ingest.JSONSyntaxError(body))
	}
	var events []ingest.Event
	switch name {
	case "push":
		events, err = w.push(body)
	case "pull_request":
		events, err = w.pullRequest(body)
	case "deployment_status":
		events, err = w.deploymentStatus(body)
	case "workflow_run":
		events, err = w.workflowRun(body)
	case "check_run":
		events, err = w.checkRun(body)
	case "issues":
		events, err = w.issues(body)
	case "release":
		events, err = w.release(body)
	case "ping":
		return nil, fmt.Errorf("%w: ping", ingest.ErrIgnored)
	default:
		return nil, fmt.Errorf("%w: event %q is not used", ingest.ErrIgnored, name)
	}
	return ingest.FinishWith(Source, name, events, err)
}

// jsonBody unwraps the application/x-www-form-urlencoded variant of a
// GitHub delivery.
func jsonBody(h http.Header, body []byte) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: form body: %v", ingest.ErrPayload, err)
	}
	p := form.Get("payload")
	if p == "" {
		return nil, fmt.Errorf("%w: form body has no payload field", ingest.ErrPayload)
	}
	return []byte(p), nil
}

func (w *Webhook) incidentEnvironment() string { return w.opts.ProductionEnvironments[0] }

// service maps a repository through RepoServices, defaulting to its last
// path segment.
func (w *Webhook) service(repoFullName string) string {
	return ingest.ServiceOf(repoFullName, w.opts.RepoServices)
}

// environment writes production environments with their configured
// spelling and leaves others as GitHub sent them.
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

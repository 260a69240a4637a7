package bitbucket

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "bitbucket"

// Webhook parses Bitbucket Cloud webhook deliveries. It is safe for concurrent use.
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
		return nil, fmt.Errorf("bitbucket webhook: %w", err)
	}
	o = o.withDefaults()
	deploy, err := ingest.CompilePatterns("deploy_workflows", o.DeployWorkflows)
	if err != nil {
		return nil, fmt.Errorf("bitbucket webhook: %w", err)
	}
	return &Webhook{opts: o, deploy: deploy}, nil
}

// Source returns "bitbucket".
func (w *Webhook) Source() string { return Source }

// DeliveryID returns the X-Request-UUID header.
func (w *Webhook) DeliveryID(h http.Header) string { return h.Get("X-Request-UUID") }

// Verify checks X-Hub-Signature ("sha256=" and the hex HMAC-SHA256 of the
// body under Options.Secret). Without a secret every request passes.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	if w.opts.Secret == "" {
		return nil
	}
	sig := h.Get("X-Hub-Signature")
	return ingest.CheckSHA256Signature("X-Hub-Signature", sig, w.opts.Secret, body)
}

// Parse maps one delivery to events; the event is named by X-Event-Key.
func (w *Webhook) Parse(h http.Header, body []byte) ([]ingest.Event, error) {
	key := strings.TrimSpace(h.Get("X-Event-Key"))
	if key == "" {
		return nil, fmt.Errorf("%w: X-Event-Key header is missing", ingest.ErrPayload)
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: %s body is not JSON: %s", ingest.ErrPayload, key, ingest.JSONSyntaxError(body))
	}
	var events []ingest.Event
	var err error
	switch key {
	case "repo:push":
		events, err = w.push(body)
	case "pullrequest:fulfilled":
		events, err = w.pullRequestFulfilled(body)
	case "repo:commit_status_updated":
		events, err = w.commitStatus(body)
	case "repo:commit_status_created":
		return nil, fmt.Errorf("%w: repo:commit_status_created (the build is not finished)", ingest.ErrIgnored)
	default:
		return nil, fmt.Errorf("%w: event %q is not used", ingest.ErrIgnored, key)
	}
	if err != nil {
		return nil, err
	}
	return ingest.Finish(Source, key, events)
}

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

// decode, commits and attrs are the shared ingest helpers under the names
// this package's parsers use.
func decode(name string, body []byte, v any) error { return ingest.DecodeJSON(name, body, v) }
func commits(ids ...string) []string               { return ingest.CommitIDs(ids...) }
func attrs(kv ...string) map[string]string         { return ingest.Attrs(kv...) }

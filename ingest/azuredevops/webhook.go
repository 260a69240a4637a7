package azuredevops

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "azuredevops"

// Webhook parses Azure DevOps service hook deliveries. It is safe for concurrent use.
type Webhook struct {
	opts   Options
	deploy []*regexp.Regexp
}

// Webhook does not implement ingest.DeliveryIDer: Azure DevOps puts its
// notification id in the body, not a header. See PayloadID.
var _ ingest.Webhook = (*Webhook)(nil)

// New validates o, applies its defaults and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("azuredevops webhook: %w", err)
	}
	o = o.withDefaults()
	deploy, err := ingest.CompilePatterns("deploy_workflows", o.DeployWorkflows)
	if err != nil {
		return nil, fmt.Errorf("azuredevops webhook: %w", err)
	}
	return &Webhook{opts: o, deploy: deploy}, nil
}

// Source returns "azuredevops".
func (w *Webhook) Source() string { return Source }

// PayloadID returns the payload's top-level id, the notification id Azure
// DevOps keeps across retries, or "" when the body has none.
func (w *Webhook) PayloadID(body []byte) string {
	var env struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	return env.ID
}

// Verify checks the basic-authentication credentials in constant time.
// Without a username or password configured every request passes.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	if w.opts.Username == "" && w.opts.Password == "" {
		return nil
	}
	user, pass, ok := (&http.Request{Header: h}).BasicAuth()
	if !ok {
		return fmt.Errorf("%w: Authorization header with basic credentials is missing", ingest.ErrUnauthorized)
	}
	// Hashing first makes the comparison constant-time in the length too;
	// both are compared so the time does not say which one was wrong.
	u1, u2 := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(w.opts.Username))
	p1, p2 := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(w.opts.Password))
	if subtle.ConstantTimeCompare(u1[:], u2[:])&subtle.ConstantTimeCompare(p1[:], p2[:]) != 1 {
		return fmt.Errorf("%w: basic credentials do not match", ingest.ErrUnauthorized)
	}
	return nil
}

// envelope is what every service hook payload shares.
type envelope struct {
	ID          string          `json:"id"`
	EventType   string          `json:"eventType"`
	CreatedDate string          `json:"createdDate"`
	Resource    json.RawMessage `json:"resource"`
}

// Parse maps one delivery to events by the payload's eventType.
func (w *Webhook) Parse(h http.Header, body []byte) ([]ingest.Event, error) {
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: body is not JSON: %s", ingest.ErrPayload, ingest.JSONSyntaxError(body))
	}
	var env envelope
	if err := decode("payload", body, &env); err != nil {
		return nil, err
	}
	if env.EventType == "" {
		return nil, fmt.Errorf("%w: eventType is missing", ingest.ErrPayload)
	}
	var events []ingest.Event
	var err error
	switch env.EventType {
	case "git.push":
		events, err = w.push(env)
	case "git.pullrequest.merged", "git.pullrequest.updated":
		events, err = w.pullRequest(env)
	case "build.complete":
		events, err = w.build(env)
	case "ms.vss-release.deployment-completed-event":
		events, err = w.releaseDeployment(env)
	default:
		return nil, fmt.Errorf("%w: eventType %q is not used", ingest.ErrIgnored, env.EventType)
	}
	if err != nil {
		return nil, err
	}
	return ingest.Finish(Source, env.EventType, events)
}

// pipelineService maps a pipeline name through PipelineServices,
// defaulting to the name.
func (w *Webhook) pipelineService(name string) string {
	if s, ok := w.opts.PipelineServices[name]; ok {
		return s
	}
	return name
}

// service maps "project/repo" through RepoServices, defaulting to repo.
func (w *Webhook) service(repo string) string {
	return ingest.ServiceOf(repo, w.opts.RepoServices)
}

// environment writes production environments with their configured
// spelling and leaves others as Azure DevOps sent them.
func (w *Webhook) environment(env string) string {
	return ingest.CanonicalEnvironment(env, w.opts.ProductionEnvironments)
}

// decode, commits and attrs are the shared ingest helpers under the names
// this package's parsers use.
func decode(name string, body []byte, v any) error { return ingest.DecodeJSON(name, body, v) }
func commits(ids ...string) []string               { return ingest.CommitIDs(ids...) }
func attrs(kv ...string) map[string]string         { return ingest.Attrs(kv...) }

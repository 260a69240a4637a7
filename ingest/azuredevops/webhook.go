package azuredevops

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
	deploy, err := compilePatterns("deploy_workflows", o.DeployWorkflows)
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
		return nil, fmt.Errorf("%w: body is not JSON: %s", ingest.ErrPayload, syntaxErr(body))
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
	return finish(env.EventType, events)
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

// service maps "project/repo" through RepoServices, defaulting to repo.
func (w *Webhook) service(repo string) string {
	if s, ok := w.opts.RepoServices[repo]; ok {
		return s
	}
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		return repo[i+1:]
	}
	return repo
}

// pipelineService maps a pipeline name through PipelineServices,
// defaulting to the name.
func (w *Webhook) pipelineService(name string) string {
	if s, ok := w.opts.PipelineServices[name]; ok {
		return s
	}
	return name
}

// environment writes production environments with their configured
// spelling and leaves others as Azure DevOps sent them.
func (w *Webhook) environment(env string) string {
	env = strings.TrimSpace(env)
	for _, p := range w.opts.ProductionEnvironments {
		if strings.EqualFold(env, p) {
			return p
		}
	}
	return env
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

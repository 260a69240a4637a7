package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	deploy, err := compilePatterns("deploy_workflows", o.DeployWorkflows)
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
	if sig == "" {
		return fmt.Errorf("%w: X-Hub-Signature-256 header is missing", ingest.ErrUnauthorized)
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return fmt.Errorf("%w: X-Hub-Signature-256 must start with sha256=", ingest.ErrUnauthorized)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: X-Hub-Signature-256 is not hex", ingest.ErrUnauthorized)
	}
	mac := hmac.New(sha256.New, []byte(w.opts.Secret))
	mac.Write(body)
	if subtle.ConstantTimeCompare(got, mac.Sum(nil)) != 1 {
		return fmt.Errorf("%w: X-Hub-Signature-256 does not match the body", ingest.ErrUnauthorized)
	}
	return nil
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
		return nil, fmt.Errorf("%w: %s body is not JSON: %s", ingest.ErrPayload, name, syntaxErr(body))
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
	if err != nil {
		return nil, err
	}
	return finish(name, events)
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

func (w *Webhook) service(repoFullName string) string {
	if s, ok := w.opts.RepoServices[repoFullName]; ok {
		return s
	}
	if i := strings.LastIndexByte(repoFullName, '/'); i >= 0 {
		return repoFullName[i+1:]
	}
	return repoFullName
}

// environment writes production environments with their configured
// spelling and leaves others as GitHub sent them.
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

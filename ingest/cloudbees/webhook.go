package cloudbees

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "cloudbees"

// Webhook parses CloudBees CD/RO completion notifications. It is safe for
// concurrent use.
type Webhook struct {
	opts Options
}

var _ ingest.Webhook = (*Webhook)(nil)

// New validates o, applies its defaults and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("cloudbees webhook: %w", err)
	}
	return &Webhook{opts: o.withDefaults()}, nil
}

// Source returns "cloudbees".
func (w *Webhook) Source() string { return Source }

// Verify checks the token header against Options.Token. Without a token
// every request passes.
func (w *Webhook) Verify(h http.Header, _ []byte) error {
	if w.opts.Token == "" {
		return nil
	}
	tok := h.Get(w.opts.Header)
	if tok == "" {
		return fmt.Errorf("%w: %s header is missing", ingest.ErrUnauthorized, w.opts.Header)
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(w.opts.Token)) != 1 {
		return fmt.Errorf("%w: %s does not match", ingest.ErrUnauthorized, w.opts.Header)
	}
	return nil
}

type notification struct {
	ProjectName     string          `json:"projectName"`
	PipelineName    string          `json:"pipelineName"`
	FlowRuntimeID   string          `json:"flowRuntimeId"`
	FlowRuntimeName string          `json:"flowRuntimeName"`
	StageName       string          `json:"stageName"`
	ApplicationName string          `json:"applicationName"`
	EnvironmentName string          `json:"environmentName"`
	Outcome         string          `json:"outcome"`
	FinishTime      json.RawMessage `json:"finishTime"`
	Version         string          `json:"version"`
	Commit          string          `json:"commit"`
	Commits         []string        `json:"commits"`
	URL             string          `json:"url"`
}

// Parse maps one notification to one deployment.finished event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("%w: not a CloudBees CD/RO notification JSON object: %v", ingest.ErrPayload, err)
	}
	trim(&n.ProjectName, &n.PipelineName, &n.FlowRuntimeID, &n.FlowRuntimeName, &n.StageName,
		&n.ApplicationName, &n.EnvironmentName, &n.Outcome, &n.Version, &n.Commit, &n.URL)
	var outcome string
	switch strings.ToLower(n.Outcome) {
	case "success", "warning":
		outcome = "success"
	case "error":
		outcome = "failure"
	case "skipped", "aborted":
		return nil, fmt.Errorf("%w: outcome %s: nothing was deployed", ingest.ErrIgnored, n.Outcome)
	case "":
		return nil, fmt.Errorf("%w: outcome: is required (success, warning or error)", ingest.ErrPayload)
	default:
		return nil, fmt.Errorf("%w: outcome: %q is not success, warning or error", ingest.ErrPayload, n.Outcome)
	}
	if n.FlowRuntimeID == "" {
		return nil, fmt.Errorf("%w: flowRuntimeId: is required ($[/myPipelineRuntime/flowRuntimeId])", ingest.ErrPayload)
	}
	if strings.Contains(n.FlowRuntimeID, "$[") {
		return nil, fmt.Errorf("%w: flowRuntimeId: %q is an unexpanded property reference", ingest.ErrPayload, n.FlowRuntimeID)
	}
	t, err := finishTime(n.FinishTime)
	if err != nil {
		return nil, fmt.Errorf("%w: finishTime: %v", ingest.ErrPayload, err)
	}
	svc := n.ApplicationName
	if svc == "" {
		svc = w.opts.PipelineServices[n.PipelineName]
	}
	if svc == "" {
		svc = n.PipelineName
	}
	if svc == "" {
		return nil, fmt.Errorf("%w: applicationName: is required when pipelineName is empty", ingest.ErrPayload)
	}
	env := n.EnvironmentName
	if env == "" {
		env = w.opts.DefaultEnvironment
	}
	if env == "" {
		return nil, fmt.Errorf("%w: environmentName: is required (or configure default_environment)", ingest.ErrPayload)
	}
	part := n.StageName
	if part == "" {
		part = env
	}
	id := n.FlowRuntimeID + "/" + part
	ev := ingest.Event{
		ID: id, Source: Source, Type: ingest.TypeDeploymentFinished, Time: t, Subject: id,
		Service: svc, Environment: env, Outcome: outcome, Attributes: map[string]string{},
	}
	if n.Commit != "" {
		ev.Commits = append(ev.Commits, n.Commit)
	}
	for _, c := range n.Commits {
		if c = strings.TrimSpace(c); c != "" && c != n.Commit {
			ev.Commits = append(ev.Commits, c)
		}
	}
	for k, v := range map[string]string{
		"project": n.ProjectName, "pipeline": n.PipelineName, "flow_runtime_name": n.FlowRuntimeName,
		"stage": n.StageName, "outcome": strings.ToLower(n.Outcome), "version": n.Version, "url": n.URL,
	} {
		if v != "" && len(v) <= 8192 {
			ev.Attributes[k] = v
		}
	}
	ev.Normalize()
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{ev}, nil
}

func trim(ss ...*string) {
	for _, s := range ss {
		*s = strings.TrimSpace(*s)
	}
}

// finishTime reads an RFC 3339 string or epoch milliseconds.
func finishTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == `""` {
		return time.Time{}, fmt.Errorf("is required (RFC 3339 with offset, or epoch milliseconds)")
	}
	if s[0] == '"' {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return time.Time{}, err
		}
		s = strings.TrimSpace(str)
		if strings.Contains(s, "$[") {
			return time.Time{}, fmt.Errorf("%q is an unexpanded property reference", s)
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		t := time.UnixMilli(ms).UTC()
		if t.Year() < 1971 || t.Year() > 2105 {
			return time.Time{}, fmt.Errorf("%d ms is out of range (1971..2105)", ms)
		}
		return t, nil
	}
	return ingest.ParseTime(s)
}

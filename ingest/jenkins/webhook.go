package jenkins

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
const Source = "jenkins"

// Webhook parses Jenkins Notification plugin deliveries. It is safe for
// concurrent use.
type Webhook struct {
	opts   Options
	deploy []*regexp.Regexp
}

var _ ingest.Webhook = (*Webhook)(nil)

// New validates o, applies its defaults and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("jenkins webhook: %w", err)
	}
	o = o.withDefaults()
	deploy, err := compile(o.DeployJobs)
	if err != nil {
		return nil, fmt.Errorf("jenkins webhook: %w", err)
	}
	return &Webhook{opts: o, deploy: deploy}, nil
}

// Source returns "jenkins".
func (w *Webhook) Source() string { return Source }

// Verify checks X-Throughline-Token or X-Throughline-Signature against
// Options.Token. Without a token every request passes.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	if w.opts.Token == "" {
		return nil
	}
	if tok := h.Get("X-Throughline-Token"); tok != "" {
		if subtle.ConstantTimeCompare([]byte(tok), []byte(w.opts.Token)) != 1 {
			return fmt.Errorf("%w: X-Throughline-Token does not match", ingest.ErrUnauthorized)
		}
		return nil
	}
	sig := h.Get("X-Throughline-Signature")
	if sig == "" {
		return fmt.Errorf("%w: send X-Throughline-Token or X-Throughline-Signature: sha256=<hmac>", ingest.ErrUnauthorized)
	}
	return ingest.CheckSHA256Signature("X-Throughline-Signature", sig, w.opts.Token, body)
}

// notification is the plugin's JobState, JSON with lower_case_underscores.
type notification struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
	Build       *struct {
		FullURL    string            `json:"full_url"`
		Number     json.Number       `json:"number"`
		QueueID    json.Number       `json:"queue_id"`
		Phase      string            `json:"phase"`
		Status     string            `json:"status"`
		URL        string            `json:"url"`
		Timestamp  json.RawMessage   `json:"timestamp"`
		Duration   json.Number       `json:"duration"`
		Parameters map[string]string `json:"parameters"`
		SCM        *struct {
			URL    string `json:"url"`
			Branch string `json:"branch"`
			Commit string `json:"commit"`
		} `json:"scm"`
	} `json:"build"`
}

// Parse maps one notification to at most one event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("%w: not a Notification plugin JSON object: %v", ingest.ErrPayload, err)
	}
	if n.Build == nil {
		return nil, fmt.Errorf("%w: build: is required", ingest.ErrPayload)
	}
	b := n.Build
	switch strings.ToUpper(b.Phase) {
	case "COMPLETED", "FINALIZED":
	case "QUEUED", "STARTED":
		return nil, fmt.Errorf("%w: phase %s: the build has not finished", ingest.ErrIgnored, b.Phase)
	case "":
		return nil, fmt.Errorf("%w: build.phase: is required", ingest.ErrPayload)
	default:
		return nil, fmt.Errorf("%w: build.phase: unknown phase %q", ingest.ErrPayload, b.Phase)
	}
	var outcome string
	switch strings.ToUpper(b.Status) {
	case "SUCCESS":
		outcome = "success"
	case "FAILURE", "UNSTABLE", "ABORTED":
		outcome = "failure"
	case "NOT_BUILT":
		return nil, fmt.Errorf("%w: status NOT_BUILT: nothing was built", ingest.ErrIgnored)
	case "":
		return nil, fmt.Errorf("%w: build.status: is required in phase %s", ingest.ErrPayload, b.Phase)
	default:
		return nil, fmt.Errorf("%w: build.status: unknown status %q", ingest.ErrPayload, b.Status)
	}
	job := fullName(n.URL, n.Name)
	if job == "" {
		return nil, fmt.Errorf("%w: name: is required (the job name)", ingest.ErrPayload)
	}
	number := b.Number.String()
	if _, err := strconv.ParseInt(number, 10, 64); err != nil {
		return nil, fmt.Errorf("%w: build.number: must be an integer, not %q", ingest.ErrPayload, number)
	}
	t, err := buildTime(b.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("%w: build.timestamp: %v", ingest.ErrPayload, err)
	}
	ev := ingest.Event{
		ID:      job + "#" + number,
		Source:  Source,
		Type:    ingest.TypeBuildFinished,
		Time:    t,
		Subject: job + "#" + number,
		Outcome: outcome,
		Attributes: map[string]string{
			"job":    job,
			"number": number,
			"phase":  strings.ToUpper(b.Phase),
			"status": strings.ToUpper(b.Status),
		},
	}
	setAttr(ev.Attributes, "url", b.FullURL)
	setAttr(ev.Attributes, "duration_ms", b.Duration.String())
	if b.SCM != nil {
		setAttr(ev.Attributes, "scm_url", b.SCM.URL)
		setAttr(ev.Attributes, "branch", b.SCM.Branch)
		if c := strings.TrimSpace(b.SCM.Commit); c != "" {
			ev.Commits = []string{c}
		}
	}
	if w.isDeploy(job, n.Name) {
		ev.Type = ingest.TypeDeploymentFinished
		ev.Service = w.service(job, n.Name)
		ev.Environment = strings.TrimSpace(b.Parameters[w.opts.EnvironmentParameter])
		if ev.Environment == "" {
			ev.Environment = w.opts.DefaultEnvironment
		}
		if ev.Environment == "" {
			return nil, fmt.Errorf("%w: build.parameters.%s: missing for deploy job %s and no default_environment is configured", ingest.ErrPayload, w.opts.EnvironmentParameter, job)
		}
	}
	ev.Normalize()
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{ev}, nil
}

func setAttr(m map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" && len(v) <= 8192 {
		m[k] = v
	}
}

// fullName derives "folder/job" from the job URL "job/folder/job/name/";
// the plugin's name field is the short name only.
func fullName(url, name string) string {
	var parts []string
	segs := strings.Split(strings.Trim(url, "/"), "/")
	for i := 0; i+1 < len(segs); i += 2 {
		if segs[i] != "job" || segs[i+1] == "" {
			parts = nil
			break
		}
		parts = append(parts, segs[i+1])
	}
	if len(parts) > 0 && parts[len(parts)-1] == name {
		return strings.Join(parts, "/")
	}
	return strings.TrimSpace(name)
}

func (w *Webhook) isDeploy(full, name string) bool {
	for _, re := range w.deploy {
		if re.MatchString(full) || re.MatchString(name) {
			return true
		}
	}
	return false
}

func (w *Webhook) service(full, name string) string {
	if s, ok := w.opts.JobServices[full]; ok {
		return s
	}
	if s, ok := w.opts.JobServices[name]; ok {
		return s
	}
	return name
}

// buildTime reads build.timestamp: epoch milliseconds, or an RFC 3339
// string (plugin versions that formatted it, always in UTC).
func buildTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, fmt.Errorf("missing: this Notification plugin version sends no build time; upgrade the plugin")
	}
	if s[0] == '"' {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return time.Time{}, err
		}
		if ms, err := strconv.ParseInt(str, 10, 64); err == nil {
			return fromMillis(ms)
		}
		return ingest.ParseTime(str)
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not epoch milliseconds", s)
	}
	return fromMillis(ms)
}

func fromMillis(ms int64) (time.Time, error) {
	t := time.UnixMilli(ms).UTC()
	if t.Year() < 1971 || t.Year() > 2105 {
		return time.Time{}, fmt.Errorf("%d ms is out of range (1971..2105)", ms)
	}
	return t, nil
}

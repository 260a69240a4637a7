package argocd

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "argocd"

var gitSHA = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)

// Webhook parses deliveries of the shipped Argo CD notification templates.
// It is safe for concurrent use.
type Webhook struct {
	opts Options
}

var _ ingest.Webhook = (*Webhook)(nil)

// New validates o, applies its defaults and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("argocd webhook: %w", err)
	}
	return &Webhook{opts: o.withDefaults()}, nil
}

// Source returns "argocd".
func (w *Webhook) Source() string { return Source }

// Verify checks "Authorization: Bearer <token>" against Options.Token.
// Without a token every request passes.
func (w *Webhook) Verify(h http.Header, _ []byte) error {
	if w.opts.Token == "" {
		return nil
	}
	auth := h.Get("Authorization")
	if auth == "" {
		return fmt.Errorf("%w: Authorization header is missing (set it in service.webhook.throughline)", ingest.ErrUnauthorized)
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return fmt.Errorf("%w: Authorization must be \"Bearer <token>\"", ingest.ErrUnauthorized)
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(w.opts.Token)) != 1 {
		return fmt.Errorf("%w: bearer token does not match", ingest.ErrUnauthorized)
	}
	return nil
}

// notification is the body of the shipped templates (app-deployed/v1,
// app-sync-failed/v1). Every field may be null.
type notification struct {
	Template     string            `json:"throughline_template"`
	Trigger      string            `json:"trigger"`
	App          string            `json:"app"`
	AppNamespace string            `json:"app_namespace"`
	Project      string            `json:"project"`
	Labels       map[string]string `json:"labels"`
	RepoURL      string            `json:"repo_url"`
	Revision     string            `json:"revision"`
	Revisions    []string          `json:"revisions"` // multi-source applications
	SyncStatus   string            `json:"sync_status"`
	Health       string            `json:"health"`
	Phase        string            `json:"phase"`
	Message      string            `json:"message"`
	StartedAt    string            `json:"started_at"`
	FinishedAt   string            `json:"finished_at"`
	Destination  struct {
		Namespace string `json:"namespace"`
		Server    string `json:"server"`
		Name      string `json:"name"`
	} `json:"destination"`
	DeploymentID string `json:"deployment_id"`
}

// Parse maps one notification to one deployment.finished event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("%w: not the JSON of the throughline notification templates (deploy/argocd): %v", ingest.ErrPayload, err)
	}
	n.App = strings.TrimSpace(n.App)
	if n.App == "" {
		return nil, fmt.Errorf("%w: app: is required (the Application name)", ingest.ErrPayload)
	}
	var outcome string
	switch n.Phase {
	case "Succeeded":
		outcome = "success"
	case "Failed", "Error":
		outcome = "failure"
	case "Running", "Terminating":
		return nil, fmt.Errorf("%w: phase %s: the sync has not finished", ingest.ErrIgnored, n.Phase)
	case "":
		return nil, fmt.Errorf("%w: phase: is required (operationState.phase)", ingest.ErrPayload)
	default:
		return nil, fmt.Errorf("%w: phase: unknown operation phase %q", ingest.ErrPayload, n.Phase)
	}
	if strings.TrimSpace(n.FinishedAt) == "" {
		return nil, fmt.Errorf("%w: finished_at: is required (operationState.finishedAt)", ingest.ErrPayload)
	}
	t, err := ingest.ParseTime(strings.TrimSpace(n.FinishedAt))
	if err != nil {
		return nil, fmt.Errorf("%w: finished_at: %v", ingest.ErrPayload, err)
	}
	env := w.environment(n)
	if env == "" {
		return nil, fmt.Errorf("%w: destination.namespace: %q is not in namespace_environments, the app has no %q label and no default_environment is configured",
			ingest.ErrPayload, n.Destination.Namespace, w.opts.EnvironmentLabel)
	}
	rev := strings.TrimSpace(n.Revision)
	id := strings.TrimSpace(n.DeploymentID)
	if id == "" || strings.Contains(id, "<no value>") {
		r := rev
		if r == "" {
			r = strings.Join(n.Revisions, ",")
		}
		id = n.App + "-" + r + "-" + strings.TrimSpace(n.FinishedAt)
	}
	ev := ingest.Event{
		ID:          id,
		Source:      Source,
		Type:        ingest.TypeDeploymentFinished,
		Time:        t,
		Subject:     id,
		Service:     n.App,
		Environment: env,
		Outcome:     outcome,
		Attributes:  map[string]string{},
	}
	if gitSHA.MatchString(rev) {
		ev.Commits = []string{rev}
	}
	if len(n.Revisions) > 0 && len(n.Revisions) <= 100 {
		for _, r := range n.Revisions {
			if r = strings.TrimSpace(r); gitSHA.MatchString(r) {
				ev.Commits = append(ev.Commits, r)
			}
		}
		if b, err := json.Marshal(n.Revisions); err == nil && len(b) <= 8192 {
			ev.Attributes["revisions"] = string(b)
		}
	}
	for k, v := range map[string]string{
		"app_namespace": n.AppNamespace, "project": n.Project, "repo_url": n.RepoURL,
		"revision": rev, "sync_status": n.SyncStatus, "health": n.Health, "phase": n.Phase,
		"message": n.Message, "started_at": n.StartedAt, "trigger": n.Trigger,
		"destination_namespace": n.Destination.Namespace, "destination_server": n.Destination.Server,
		"destination_name": n.Destination.Name, "template": n.Template,
	} {
		if v = strings.TrimSpace(v); v != "" && len(v) <= 8192 && len(k) > 0 {
			ev.Attributes[k] = v
		}
	}
	ev.Normalize()
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{ev}, nil
}

func (w *Webhook) environment(n notification) string {
	if env := w.opts.NamespaceEnvironments[n.Destination.Namespace]; env != "" {
		return env
	}
	if env := strings.TrimSpace(n.Labels[w.opts.EnvironmentLabel]); env != "" {
		return env
	}
	return w.opts.DefaultEnvironment
}

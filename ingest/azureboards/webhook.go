package azureboards

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

const source = "azureboards"

// Options configures the Azure Boards webhook.
type Options struct {
	// Username and Password are the service hook's basic auth (required).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// StartedStates (default Active, In Progress, Committed, Doing) and
	// DoneStates (default Done, Closed, Completed) are compared without
	// case. Resolved is not done by default: in the Agile process it means
	// "fixed, awaiting verification"; add it when your team stops there.
	StartedStates []string `yaml:"started_states"`
	DoneStates    []string `yaml:"done_states"`
	// WorkItemTypeKinds maps System.WorkItemType (case-insensitive) to
	// feature, defect, risk or debt, over the defaults: User Story, Product
	// Backlog Item, Requirement, Feature, Epic, Issue (Basic process) →
	// feature; Bug → defect; Risk, Impediment → risk; Tech Debt, Technical
	// Debt → debt. Task has no default kind (see the jira package).
	WorkItemTypeKinds map[string]string `yaml:"work_item_type_kinds"`
	// AreaServices maps System.AreaPath, or else System.TeamProject, to a
	// service.
	AreaServices map[string]string `yaml:"area_services"`
}

var defaultKinds = map[string]string{
	"user story": "feature", "product backlog item": "feature", "requirement": "feature",
	"feature": "feature", "epic": "feature", "issue": "feature",
	"bug": "defect", "risk": "risk", "impediment": "risk",
	"tech debt": "debt", "technical debt": "debt",
}

// Validate checks the options, naming the offending key.
func (o Options) Validate() error {
	if o.Username == "" || o.Password == "" {
		return errors.New("azureboards.username: username and password are required (the service hook's basic auth)")
	}
	for t, k := range o.WorkItemTypeKinds {
		switch k {
		case "feature", "defect", "risk", "debt":
		default:
			return fmt.Errorf("azureboards.work_item_type_kinds.%s: must be feature, defect, risk or debt, not %q", t, k)
		}
	}
	for _, s := range o.StartedStates {
		if fold(o.DoneStates, s) {
			return fmt.Errorf("azureboards.started_states: %q is also in done_states", s)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if len(o.StartedStates) == 0 {
		o.StartedStates = []string{"Active", "In Progress", "Committed", "Doing"}
	}
	if len(o.DoneStates) == 0 {
		o.DoneStates = []string{"Done", "Closed", "Completed"}
	}
	kinds := map[string]string{}
	for k, v := range defaultKinds {
		kinds[k] = v
	}
	for k, v := range o.WorkItemTypeKinds {
		kinds[strings.ToLower(k)] = v
	}
	o.WorkItemTypeKinds = kinds
	return o
}

// Webhook decodes Azure Boards deliveries. It is safe for concurrent use.
type Webhook struct{ o Options }

// New returns a Webhook for o, or the first problem with o.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Webhook{o: o.withDefaults()}, nil
}

// Source returns "azureboards".
func (w *Webhook) Source() string { return source }

// Verify checks HTTP Basic auth.
func (w *Webhook) Verify(h http.Header, _ []byte) error {
	c, ok := strings.CutPrefix(h.Get("Authorization"), "Basic ")
	if !ok {
		return fmt.Errorf("%w: no basic Authorization header", ingest.ErrUnauthorized)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c))
	u, p, _ := strings.Cut(string(raw), ":")
	uok, pok := equal(u, w.o.Username), equal(p, w.o.Password)
	if err != nil || !uok || !pok {
		return fmt.Errorf("%w: credentials do not match", ingest.ErrUnauthorized)
	}
	return nil
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

type change struct {
	Old json.RawMessage `json:"oldValue"`
	New json.RawMessage `json:"newValue"`
}

type payload struct {
	ID        string `json:"id"`
	EventType string `json:"eventType"`
	Resource  *struct {
		ID         json.Number                `json:"id"`
		WorkItemID json.Number                `json:"workItemId"`
		Fields     map[string]json.RawMessage `json:"fields"`
		Revision   *struct {
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"revision"`
	} `json:"resource"`
}

// Parse decodes one delivery into at most one event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: not an Azure DevOps service hook: %v", ingest.ErrPayload, err)
	}
	switch p.EventType {
	case "workitem.created", "workitem.updated":
	case "":
		return nil, fmt.Errorf("%w: eventType: missing", ingest.ErrPayload)
	default:
		return nil, fmt.Errorf("%w: eventType %q carries nothing for the measures", ingest.ErrIgnored, p.EventType)
	}
	r := p.Resource
	if r == nil {
		return nil, fmt.Errorf("%w: resource: missing", ingest.ErrPayload)
	}
	e := ingest.Event{Source: source, Attributes: map[string]string{}}
	// fields: the full work item on created, the revision's on updated.
	fields := r.Fields
	idField := "resource.id"
	id := r.ID.String()
	if p.EventType == "workitem.updated" {
		idField, id = "resource.workItemId", r.WorkItemID.String()
		fields = nil
		if r.Revision != nil {
			fields = r.Revision.Fields
		}
	}
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return nil, fmt.Errorf("%w: %s: missing or not a number", ingest.ErrPayload, idField)
	}
	e.Subject = id
	wiType := str(fields["System.WorkItemType"])
	project := str(fields["System.TeamProject"])
	area := str(fields["System.AreaPath"])
	for k, v := range map[string]string{"work_item_type": wiType, "project": project, "area_path": area} {
		if v != "" {
			e.Attributes[k] = v
		}
	}
	e.Service = w.o.AreaServices[area]
	if e.Service == "" {
		e.Service = w.o.AreaServices[project]
	}

	if p.EventType == "workitem.created" {
		t, err := ingest.ParseTime(str(fields["System.CreatedDate"]))
		if err != nil {
			return nil, fmt.Errorf("%w: resource.fields.System.CreatedDate: %v", ingest.ErrPayload, err)
		}
		e.Type, e.ID, e.Time = ingest.TypeWorkItemCreated, id+":created", t
		e.Kind = w.o.WorkItemTypeKinds[strings.ToLower(wiType)]
		return finish(e)
	}

	var st change
	raw, ok := r.Fields["System.State"]
	if !ok || json.Unmarshal(raw, &st) != nil || str(st.New) == "" {
		return nil, fmt.Errorf("%w: work item update without a System.State change", ingest.ErrIgnored)
	}
	state := str(st.New)
	e.Attributes["state"] = state
	var suffix string
	switch {
	case fold(w.o.StartedStates, state):
		e.Type, suffix = ingest.TypeWorkItemStarted, "started"
	case fold(w.o.DoneStates, state):
		e.Type, suffix = ingest.TypeWorkItemDone, "done"
	default:
		return nil, fmt.Errorf("%w: state %q is in neither started_states nor done_states", ingest.ErrIgnored, state)
	}
	// System.ChangedDate of the update; System.RevisedDate is no use (the
	// current revision's is 9999-01-01).
	ts := ""
	var cd change
	if json.Unmarshal(r.Fields["System.ChangedDate"], &cd) == nil {
		ts = str(cd.New)
	}
	if ts == "" {
		ts = str(fields["System.ChangedDate"])
	}
	t, err := ingest.ParseTime(ts)
	if err != nil {
		return nil, fmt.Errorf("%w: resource.fields.System.ChangedDate: %v", ingest.ErrPayload, err)
	}
	e.Time = t
	e.ID = id + ":" + suffix + ":" + t.UTC().Format(time.RFC3339Nano)
	return finish(e)
}

func finish(e ingest.Event) ([]ingest.Event, error) {
	e.Normalize()
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{e}, nil
}

// str returns a JSON string's text, or "" for anything else.
func str(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

func fold(list []string, s string) bool {
	for _, v := range list {
		if s != "" && strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}

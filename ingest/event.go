package ingest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Event is one fact in the generic format (EVENTS.md v1). Every source,
// webhook or poller, is normalised into it before it is stored.
type Event struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	Type        string            `json:"type"`
	Time        time.Time         `json:"time"`
	Subject     string            `json:"subject"`
	Service     string            `json:"service,omitempty"`
	Repo        string            `json:"repo,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Team        string            `json:"team,omitempty"`
	Product     string            `json:"product,omitempty"`
	Outcome     string            `json:"outcome,omitempty"`
	Kind        string            `json:"kind,omitempty"`
	Priority    string            `json:"priority,omitempty"`
	Commits     []string          `json:"commits,omitempty"`
	Automated   bool              `json:"automated,omitempty"`
	Links       map[string]string `json:"links,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}

// The event types of EVENTS.md.
const (
	TypeChangeCommitted       = "change.committed"
	TypeChangeMerged          = "change.merged"
	TypeBuildFinished         = "build.finished"
	TypeDeploymentFinished    = "deployment.finished"
	TypeIncidentOpened        = "incident.opened"
	TypeIncidentAcknowledged  = "incident.acknowledged"
	TypeIncidentResolved      = "incident.resolved"
	TypeIncidentReopened      = "incident.reopened"
	TypeChangeRequestCreated  = "change_request.created"
	TypeChangeRequestApproved = "change_request.approved"
	TypeChangeRequestClosed   = "change_request.closed"
	TypeWorkItemCreated       = "work_item.created"
	TypeWorkItemStarted       = "work_item.started"
	TypeWorkItemDone          = "work_item.done"
	TypeAlertFiring           = "alert.firing"
	TypeAlertResolved         = "alert.resolved"
)

// typeRules says, per type, which optional fields become required and which
// values kind may take. It is the "also needs" column of EVENTS.md.
var typeRules = map[string]struct {
	needs []string
	kinds []string
}{
	TypeChangeCommitted:       {needs: []string{"repo|service"}},
	TypeChangeMerged:          {needs: []string{"commits"}},
	TypeBuildFinished:         {needs: []string{"outcome"}},
	TypeDeploymentFinished:    {needs: []string{"service", "environment", "outcome"}, kinds: []string{"rollback", "hotfix"}},
	TypeIncidentOpened:        {needs: []string{"service"}},
	TypeIncidentAcknowledged:  {},
	TypeIncidentResolved:      {},
	TypeIncidentReopened:      {},
	TypeChangeRequestCreated:  {kinds: []string{"standard", "normal", "emergency"}},
	TypeChangeRequestApproved: {},
	TypeChangeRequestClosed:   {needs: []string{"outcome"}},
	TypeWorkItemCreated:       {kinds: []string{"feature", "defect", "risk", "debt"}},
	TypeWorkItemStarted:       {},
	TypeWorkItemDone:          {},
	TypeAlertFiring:           {},
	TypeAlertResolved:         {},
}

// Types lists every event type, sorted.
func Types() []string {
	out := make([]string, 0, len(typeRules))
	for t := range typeRules {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// LinkKeys are the link names EVENTS.md defines.
var LinkKeys = []string{"deployment", "incident", "change_request", "work_item", "change"}

// Limits on field sizes: generous for real tools, small enough that one
// event cannot fill a batch.
const (
	maxIDLen      = 512
	maxFieldLen   = 1024
	maxCommits    = 10000
	maxMapEntries = 256
	maxValueLen   = 8192
)

// FieldError is a validation failure that names the offending field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks e against EVENTS.md and returns the first problem, naming
// its field. It does not modify e; call Normalize first.
func (e *Event) Validate() error {
	required := []struct{ name, val string }{
		{"id", e.ID}, {"source", e.Source}, {"type", e.Type}, {"subject", e.Subject},
	}
	for _, f := range required {
		if f.val == "" {
			return &FieldError{f.name, "is required"}
		}
	}
	if len(e.ID) > maxIDLen {
		return &FieldError{"id", fmt.Sprintf("is longer than %d bytes", maxIDLen)}
	}
	rules, ok := typeRules[e.Type]
	if !ok {
		return &FieldError{"type", fmt.Sprintf("unknown type %q (known: %s)", e.Type, strings.Join(Types(), ", "))}
	}
	if e.Time.IsZero() {
		return &FieldError{"time", "is required (RFC 3339 with offset)"}
	}
	if y := e.Time.UTC().Year(); y < 1971 || y > 2105 {
		// ClickHouse's DateTime holds 1970..2105; a time outside would be
		// stored as another.
		return &FieldError{"time", fmt.Sprintf("%s is out of range (1971..2105)", e.Time.UTC().Format(time.RFC3339))}
	}
	for _, f := range []struct{ name, val string }{
		{"source", e.Source}, {"subject", e.Subject}, {"service", e.Service}, {"repo", e.Repo},
		{"environment", e.Environment}, {"team", e.Team}, {"product", e.Product},
		{"kind", e.Kind}, {"priority", e.Priority},
	} {
		if len(f.val) > maxFieldLen {
			return &FieldError{f.name, fmt.Sprintf("is longer than %d bytes", maxFieldLen)}
		}
	}
	for _, need := range rules.needs {
		if !e.has(need) {
			return &FieldError{strings.ReplaceAll(need, "|", " or "), "is required for type " + e.Type}
		}
	}
	if e.Outcome != "" && e.Outcome != "success" && e.Outcome != "failure" {
		return &FieldError{"outcome", fmt.Sprintf("must be success or failure, not %q", e.Outcome)}
	}
	if e.Kind != "" && len(rules.kinds) > 0 && !contains(rules.kinds, e.Kind) {
		return &FieldError{"kind", fmt.Sprintf("must be one of %s for type %s, not %q", strings.Join(rules.kinds, ", "), e.Type, e.Kind)}
	}
	if e.Priority != "" && !contains([]string{"P1", "P2", "P3", "P4", "P5"}, e.Priority) {
		return &FieldError{"priority", fmt.Sprintf("must be P1..P5, not %q", e.Priority)}
	}
	if len(e.Commits) > maxCommits {
		return &FieldError{"commits", fmt.Sprintf("has more than %d entries", maxCommits)}
	}
	for i, c := range e.Commits {
		if c == "" || len(c) > 256 {
			return &FieldError{fmt.Sprintf("commits[%d]", i), "must be a non-empty commit id"}
		}
	}
	for name, m := range map[string]map[string]string{"links": e.Links, "attributes": e.Attributes} {
		if len(m) > maxMapEntries {
			return &FieldError{name, fmt.Sprintf("has more than %d entries", maxMapEntries)}
		}
		for k, v := range m {
			if k == "" {
				return &FieldError{name, "has an empty key"}
			}
			if len(k) > maxFieldLen || len(v) > maxValueLen {
				return &FieldError{name + "." + k, "is too long"}
			}
		}
	}
	for k := range e.Links {
		if !contains(LinkKeys, k) {
			return &FieldError{"links." + k, fmt.Sprintf("unknown link (known: %s)", strings.Join(LinkKeys, ", "))}
		}
	}
	return nil
}

// Normalize trims and canonicalises fields in place: UTC time truncated to
// the second (the store's resolution), lower-case commit ids, no empty
// entries. It is idempotent.
func (e *Event) Normalize() {
	e.Time = e.Time.UTC().Truncate(time.Second)
	for i, c := range e.Commits {
		e.Commits[i] = strings.ToLower(strings.TrimSpace(c))
	}
	if e.Type == TypeChangeCommitted {
		e.Subject = strings.ToLower(strings.TrimSpace(e.Subject))
	}
	for k, v := range e.Links {
		if v == "" {
			delete(e.Links, k)
		}
	}
	if len(e.Links) == 0 {
		e.Links = nil
	}
	if len(e.Attributes) == 0 {
		e.Attributes = nil
	}
	if len(e.Commits) == 0 {
		e.Commits = nil
	}
}

func (e *Event) has(field string) bool {
	for _, alt := range strings.Split(field, "|") {
		switch alt {
		case "repo":
			if e.Repo != "" {
				return true
			}
		case "service":
			if e.Service != "" {
				return true
			}
		case "environment":
			if e.Environment != "" {
				return true
			}
		case "outcome":
			if e.Outcome != "" {
				return true
			}
		case "commits":
			if len(e.Commits) > 0 {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

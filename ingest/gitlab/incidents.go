package gitlab

import (
	"fmt"
	"strings"

	"github.com/throughline/throughline/ingest"
)

type label struct {
	Title string `json:"title"`
}

// issue: an issue of type incident, or with an incident label, is an
// incident. Opening it, or adding the label later, opens the incident (same
// id, time = issue creation, so both deliveries are one event); closing
// resolves it and reopening reopens it, each keyed by its time since both
// can repeat.
func (w *Webhook) issue(body []byte) ([]ingest.Event, error) {
	var p struct {
		Project project `json:"project"`
		Issue   struct {
			IID       int64   `json:"iid"`
			Title     string  `json:"title"`
			Action    string  `json:"action"`
			Type      string  `json:"type"`
			IssueType string  `json:"issue_type"`
			Severity  string  `json:"severity"`
			Labels    []label `json:"labels"`
			CreatedAt string  `json:"created_at"`
			UpdatedAt string  `json:"updated_at"`
			ClosedAt  string  `json:"closed_at"`
		} `json:"object_attributes"`
		Labels  []label `json:"labels"`
		Changes struct {
			Labels struct {
				Previous []label `json:"previous"`
				Current  []label `json:"current"`
			} `json:"labels"`
		} `json:"changes"`
	}
	if err := decode("issue", body, &p); err != nil {
		return nil, err
	}
	typed := strings.EqualFold(p.Issue.Type, "incident") || strings.EqualFold(p.Issue.IssueType, "incident")
	labelled := w.hasIncidentLabel(p.Issue.Labels) || w.hasIncidentLabel(p.Labels)
	if !typed && !labelled {
		return nil, fmt.Errorf("%w: issue is not an incident (not of type incident, no label of %s)", ingest.ErrIgnored, strings.Join(w.opts.IncidentLabels, ", "))
	}
	action := p.Issue.Action
	if action == "update" {
		// An update that adds an incident label opens the incident.
		if w.hasIncidentLabel(p.Changes.Labels.Current) && !w.hasIncidentLabel(p.Changes.Labels.Previous) {
			action = "open"
		} else {
			return nil, fmt.Errorf("%w: issue update", ingest.ErrIgnored)
		}
	}
	if action != "open" && action != "close" && action != "reopen" {
		return nil, fmt.Errorf("%w: issue action %s", ingest.ErrIgnored, action)
	}
	repo := p.Project.PathWithNamespace
	if err := requireProject("issue", repo); err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("%s#%d", repo, p.Issue.IID)
	e := ingest.Event{
		Subject:     subject,
		Repo:        repo,
		Service:     w.service(repo),
		Environment: w.incidentEnvironment(),
		Attributes:  attrs("title", p.Issue.Title, "severity", p.Issue.Severity),
	}
	var err error
	switch action {
	case "open":
		e.Type = ingest.TypeIncidentOpened
		e.ID = "issue:" + subject + ":opened"
		e.Time, err = parseTime("issue", "object_attributes.created_at", p.Issue.CreatedAt)
	case "close":
		e.Type = ingest.TypeIncidentResolved
		field, ts := "object_attributes.closed_at", p.Issue.ClosedAt
		if ts == "" {
			field, ts = "object_attributes.updated_at", p.Issue.UpdatedAt
		}
		e.Time, err = parseTime("issue", field, ts)
		e.ID = fmt.Sprintf("issue:%s:resolved:%d", subject, e.Time.Unix())
	case "reopen":
		e.Type = ingest.TypeIncidentReopened
		e.Time, err = parseTime("issue", "object_attributes.updated_at", p.Issue.UpdatedAt)
		e.ID = fmt.Sprintf("issue:%s:reopened:%d", subject, e.Time.Unix())
	}
	if err != nil {
		return nil, err
	}
	return []ingest.Event{e}, nil
}

func (w *Webhook) hasIncidentLabel(ls []label) bool {
	for _, l := range ls {
		if w.isIncidentLabel(l.Title) {
			return true
		}
	}
	return false
}

package github

import (
	"fmt"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// issues: an issue with an incident label is an incident. Opening it, or
// adding the label later, opens the incident (same id, time = issue
// creation, so both deliveries are one event); closing resolves it and
// reopening reopens it, each keyed by its time since both can repeat.
func (w *Webhook) issues(body []byte) ([]ingest.Event, error) {
	var p struct {
		Action string     `json:"action"`
		Label  *label     `json:"label"`
		Repo   repository `json:"repository"`
		Issue  struct {
			Number      int64   `json:"number"`
			Title       string  `json:"title"`
			Labels      []label `json:"labels"`
			StateReason string  `json:"state_reason"`
			CreatedAt   string  `json:"created_at"`
			UpdatedAt   string  `json:"updated_at"`
			ClosedAt    string  `json:"closed_at"`
		} `json:"issue"`
	}
	if err := decode("issues", body, &p); err != nil {
		return nil, err
	}
	switch p.Action {
	case "opened", "closed", "reopened":
	case "labeled":
		if p.Label == nil || !w.isIncidentLabel(p.Label.Name) {
			return nil, fmt.Errorf("%w: issues labeled with a label that is not an incident label", ingest.ErrIgnored)
		}
	default:
		return nil, fmt.Errorf("%w: issues action %s", ingest.ErrIgnored, p.Action)
	}
	incident := false
	for _, l := range p.Issue.Labels {
		if w.isIncidentLabel(l.Name) {
			incident = true
			break
		}
	}
	if !incident {
		return nil, fmt.Errorf("%w: issue has no incident label (%s)", ingest.ErrIgnored, strings.Join(w.opts.IncidentLabels, ", "))
	}
	if err := requireRepo("issues", p.Repo); err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("%s#%d", p.Repo.FullName, p.Issue.Number)
	e := ingest.Event{
		Subject:     subject,
		Repo:        p.Repo.FullName,
		Service:     w.service(p.Repo.FullName),
		Environment: w.incidentEnvironment(),
		Attributes:  attrs("title", p.Issue.Title),
	}
	var err error
	switch p.Action {
	case "opened", "labeled":
		e.Type = ingest.TypeIncidentOpened
		e.ID = "issue:" + subject + ":opened"
		e.Time, err = parseTime("issues", "issue.created_at", p.Issue.CreatedAt)
	case "closed":
		e.Type = ingest.TypeIncidentResolved
		e.Time, err = parseTime("issues", "issue.closed_at", p.Issue.ClosedAt)
		e.ID = fmt.Sprintf("issue:%s:resolved:%d", subject, e.Time.Unix())
		if p.Issue.StateReason != "" {
			e.Attributes["state_reason"] = p.Issue.StateReason
		}
	case "reopened":
		e.Type = ingest.TypeIncidentReopened
		e.Time, err = parseTime("issues", "issue.updated_at", p.Issue.UpdatedAt)
		e.ID = fmt.Sprintf("issue:%s:reopened:%d", subject, e.Time.Unix())
	}
	if err != nil {
		return nil, err
	}
	return []ingest.Event{e}, nil
}

package jira

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

const source = "jira"

// Webhook decodes Jira issue webhooks. It is safe for concurrent use.
type Webhook struct{ o Options }

// New returns a Webhook for o, or the first problem with o.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Webhook{o: o.withDefaults()}, nil
}

// Source returns "jira".
func (w *Webhook) Source() string { return source }

// DeliveryID returns X-Atlassian-Webhook-Identifier, which Jira keeps across
// retries of one delivery.
func (w *Webhook) DeliveryID(h http.Header) string {
	return h.Get("X-Atlassian-Webhook-Identifier")
}

// Verify checks X-Hub-Signature when a secret is set, else (or as well)
// the token in Authorization: Bearer or X-Throughline-Token.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	if w.o.Secret != "" {
		if sig, ok := strings.CutPrefix(h.Get("X-Hub-Signature"), "sha256="); ok {
			m := hmac.New(sha256.New, []byte(w.o.Secret))
			m.Write(body)
			got, err := hex.DecodeString(strings.TrimSpace(sig))
			if err == nil && hmac.Equal(got, m.Sum(nil)) {
				return nil
			}
			return fmt.Errorf("%w: X-Hub-Signature does not match", ingest.ErrUnauthorized)
		}
	}
	if w.o.Token != "" {
		tok := h.Get("X-Throughline-Token")
		if b, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
			tok = strings.TrimSpace(b)
		}
		if tok != "" && equal(tok, w.o.Token) {
			return nil
		}
	}
	return fmt.Errorf("%w: no valid X-Hub-Signature or token", ingest.ErrUnauthorized)
}

// VerifyQuery checks a ?token= query parameter of the webhook URL, for
// Jira Data Center, which can neither sign nor add headers.
func (w *Webhook) VerifyQuery(q url.Values) error {
	if tok := q.Get("token"); w.o.Token != "" && tok != "" && equal(tok, w.o.Token) {
		return nil
	}
	return fmt.Errorf("%w: no valid token query parameter", ingest.ErrUnauthorized)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

type named struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type payload struct {
	Timestamp    int64  `json:"timestamp"`
	WebhookEvent string `json:"webhookEvent"`
	Issue        *struct {
		ID     string `json:"id"`
		Key    string `json:"key"`
		Fields struct {
			IssueType      *named  `json:"issuetype"`
			Project        *named  `json:"project"`
			Priority       *named  `json:"priority"`
			Components     []named `json:"components"`
			Created        string  `json:"created"`
			Updated        string  `json:"updated"`
			ResolutionDate string  `json:"resolutiondate"`
			Status         *struct {
				Name           string `json:"name"`
				StatusCategory *named `json:"statusCategory"`
			} `json:"status"`
		} `json:"fields"`
	} `json:"issue"`
	Changelog *struct {
		ID    changelogID `json:"id"`
		Items []struct {
			Field      string `json:"field"`
			FieldID    string `json:"fieldId"`
			FromString string `json:"fromString"`
			ToString   string `json:"toString"`
		} `json:"items"`
	} `json:"changelog"`
}

// Parse decodes one issue webhook into at most one event.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: not a Jira webhook: %v", ingest.ErrPayload, err)
	}
	switch p.WebhookEvent {
	case "jira:issue_created", "jira:issue_updated":
	case "":
		return nil, fmt.Errorf("%w: webhookEvent: missing", ingest.ErrPayload)
	default:
		return nil, fmt.Errorf("%w: webhookEvent %q carries nothing for the measures", ingest.ErrIgnored, p.WebhookEvent)
	}
	is := p.Issue
	if is == nil || is.Key == "" {
		return nil, fmt.Errorf("%w: issue.key: missing", ingest.ErrPayload)
	}
	f := is.Fields
	issueType := ""
	if f.IssueType != nil {
		issueType = f.IssueType.Name
	}
	project := ""
	if f.Project != nil {
		project = f.Project.Key
	}
	incident := fold(w.o.IncidentIssueTypes, issueType)

	e := ingest.Event{Source: source, Subject: is.Key, Attributes: map[string]string{}}
	for k, v := range map[string]string{"issue_type": issueType, "project": project} {
		if v != "" {
			e.Attributes[k] = v
		}
	}
	if f.Status != nil && f.Status.Name != "" {
		e.Attributes["status"] = f.Status.Name
	}
	e.Service = w.o.ProjectServices[project]
	if e.Service == "" {
		for _, c := range f.Components {
			if s := w.o.ComponentServices[c.Name]; s != "" {
				e.Service = s
				break
			}
		}
	}
	e.Product = w.o.ProjectProducts[project]

	if p.WebhookEvent == "jira:issue_created" {
		t, err := jiraTime(f.Created)
		if err != nil {
			return nil, fmt.Errorf("%w: issue.fields.created: %v", ingest.ErrPayload, err)
		}
		e.Time = t
		if incident {
			e.Type, e.ID = ingest.TypeIncidentOpened, is.Key+":opened"
			if e.Service == "" {
				e.Service = project
			}
			if f.Priority != nil {
				e.Priority = w.o.Priorities[strings.ToLower(f.Priority.Name)]
			}
		} else {
			e.Type, e.ID = ingest.TypeWorkItemCreated, is.Key+":created"
			e.Kind = w.o.IssueTypeKinds[strings.ToLower(issueType)]
		}
		return finish(e)
	}

	moved := false
	if p.Changelog != nil {
		for _, it := range p.Changelog.Items {
			if it.Field == "status" || it.FieldID == "status" {
				moved = true
			}
		}
	}
	if !moved {
		return nil, fmt.Errorf("%w: issue update without a status change", ingest.ErrIgnored)
	}
	category := ""
	if f.Status != nil && f.Status.StatusCategory != nil {
		category = f.Status.StatusCategory.Key
	}
	var t time.Time
	if p.Timestamp > 0 {
		t = time.UnixMilli(p.Timestamp)
	}
	var suffix string
	switch category {
	case "indeterminate":
		e.Type, suffix = ingest.TypeWorkItemStarted, "started"
		if incident {
			e.Type, suffix = ingest.TypeIncidentAcknowledged, "acknowledged"
		}
	case "done":
		e.Type, suffix = ingest.TypeWorkItemDone, "done"
		if incident {
			e.Type, suffix = ingest.TypeIncidentResolved, "resolved"
		}
		if f.ResolutionDate != "" {
			rt, err := jiraTime(f.ResolutionDate)
			if err != nil {
				return nil, fmt.Errorf("%w: issue.fields.resolutiondate: %v", ingest.ErrPayload, err)
			}
			t = rt
		}
	case "":
		return nil, fmt.Errorf("%w: issue.fields.status.statusCategory.key: missing on a status change", ingest.ErrPayload)
	default:
		return nil, fmt.Errorf("%w: status moved to category %q (neither In Progress nor Done)", ingest.ErrIgnored, category)
	}
	if t.IsZero() {
		ut, err := jiraTime(f.Updated)
		if err != nil {
			return nil, fmt.Errorf("%w: timestamp: missing, and issue.fields.updated: %v", ingest.ErrPayload, err)
		}
		t = ut
	}
	e.Time = t
	// The changelog entry's id keys the transition: the REST API's
	// changelog.histories[].id is the same entry, so a polled transition
	// and its delivery are one event. Only a payload without it (a
	// hand-made one) is keyed by the delivery time, which the API cannot
	// see.
	if id := string(p.Changelog.ID); id != "" {
		e.ID = is.Key + ":" + suffix + ":" + id
	} else {
		e.ID = is.Key + ":" + suffix + ":" + t.UTC().Format(time.RFC3339Nano)
	}
	return finish(e)
}

// changelogID is a changelog entry's id: a string of digits in Jira's
// payloads, accepted as a number too. Anything else (empty, too long,
// not an id) reads as no id, so the event falls back to its time.
type changelogID string

// UnmarshalJSON implements json.Unmarshaler; it never fails, so a
// strange id cannot make an otherwise good delivery unreadable.
func (c *changelogID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if json.Unmarshal(b, &n) != nil {
			*c = ""
			return nil
		}
		s = n.String()
	}
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 64 || strings.ContainsAny(s, ": \t\r\n") {
		s = ""
	}
	*c = changelogID(s)
	return nil
}

func finish(e ingest.Event) ([]ingest.Event, error) {
	e.Normalize()
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return []ingest.Event{e}, nil
}

// jiraTime reads Jira's "2017-01-30T18:30:41.962+0100" (no colon in the
// offset) as well as RFC 3339.
func jiraTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("missing")
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a Jira time (2006-01-02T15:04:05.000-0700)", s)
}

func fold(list []string, s string) bool {
	for _, v := range list {
		if s != "" && strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

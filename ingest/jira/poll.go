package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

// Source is the name of this package's events' source.
const Source = source

// The search APIs a Poller can use.
const (
	// APICloud is Jira Cloud's GET /rest/api/3/search/jql, paged by
	// nextPageToken.
	APICloud = "cloud"
	// APIDataCenter is Jira Data Center's GET /rest/api/2/search, paged by
	// startAt.
	APIDataCenter = "datacenter"
)

// StreamIssues is the Poller's one stream.
const StreamIssues = "issues"

// NewAPIClient returns a client for a Jira site; o.BaseURL is the site
// (https://<site>.atlassian.net). A username with a token (or password)
// is basic auth (Jira Cloud: your e-mail and an API token); a token alone
// is a bearer token (Data Center personal access token). A login that
// Jira refuses but answers with 200 (X-Seraph-LoginReason) is an error.
func NewAPIClient(o poll.ClientOptions) (*poll.Client, error) {
	o.Source = source
	if o.Auth.Kind == poll.AuthNone {
		switch {
		case o.Auth.Username != "":
			o.Auth.Kind = poll.AuthBasic
			if o.Auth.Password == "" {
				o.Auth.Password = o.Auth.Token
			}
		case o.Auth.Token != "":
			o.Auth.Kind = poll.AuthBearer
		}
	}
	o.LoginCheck = loginCheck
	return poll.NewClient(o)
}

func loginCheck(r *poll.Response) error {
	switch reason := r.Header.Get("X-Seraph-LoginReason"); {
	case strings.Contains(reason, "AUTHENTICATED_FAILED"):
		return errors.New("Jira rejected the login (X-Seraph-LoginReason AUTHENTICATED_FAILED)")
	case strings.Contains(reason, "AUTHENTICATION_DENIED"):
		return errors.New("Jira denied the login, usually a CAPTCHA after failed attempts: log in once in a browser (X-Seraph-LoginReason AUTHENTICATION_DENIED)")
	}
	return nil
}

// ImportOptions configure a Poller. The embedded Options map issues
// exactly as the webhook does (issue_type_kinds, incident_issue_types,
// project_services, ...); its secret and token are not used.
type ImportOptions struct {
	// Client calls the site (NewAPIClient).
	Client  *poll.Client `yaml:"-"`
	Options `yaml:",inline"`
	// Project limits the search to one project key.
	Project string `yaml:"-"`
	// JQL is ANDed to the time condition ("issuetype != Sub-task"); no
	// ORDER BY.
	JQL string `yaml:"jql"`
	// API is cloud or datacenter (default cloud for *.atlassian.net sites,
	// datacenter otherwise).
	API string `yaml:"api"`
	// TimeZone is the zone Jira reads JQL dates in: the integration
	// user's profile zone (default UTC).
	TimeZone string `yaml:"time_zone"`
	// MaxResults is the page size (default 100).
	MaxResults int `yaml:"max_results"`
}

var projectKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.Client == nil {
		return errors.New("jira import: Client is required")
	}
	if o.Project != "" && !projectKeyRE.MatchString(o.Project) {
		return fmt.Errorf("project: %q is not a project key", o.Project)
	}
	if strings.Contains(strings.ToUpper(o.JQL), "ORDER BY") {
		return errors.New("jql: must not order (the poller orders by creation)")
	}
	switch o.API {
	case "", APICloud, APIDataCenter:
	default:
		return fmt.Errorf("api: %q is not cloud or datacenter", o.API)
	}
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			return fmt.Errorf("time_zone: unknown zone %q", o.TimeZone)
		}
	}
	if o.MaxResults < 0 || o.MaxResults > 5000 {
		return fmt.Errorf("max_results: %d is not between 1 and 5000", o.MaxResults)
	}
	m := o.Options
	m.Secret, m.Token = "", "poll"
	if err := m.Validate(); err != nil {
		// The webhook's errors name its own section; here the keys are
		// the job's options.
		return errors.New(strings.TrimPrefix(err.Error(), "jira."))
	}
	return nil
}

// Poller reads issues through the search API: those updated since the
// pass's since, with their changelog, page by page. Each issue yields,
// through the webhook's mapping, its created (or incident opened) event
// and one started/done (acknowledged/resolved) event per status change
// into the In Progress or Done category.
//
// Pages are ordered by creation, not update: an issue updated during a
// pass keeps its place, so startAt paging cannot skip the issue after it
// (ordering by update moves it to the end). An issue updated after the
// pass began is read again by the next pass, which starts at this pass's
// start less the overlap (JQL dates have minute precision; the time is
// rounded down).
//
// Ids: every event has the id of its webhook delivery. Created and opened
// events are keyed by the issue; status changes by the changelog entry
// (changelog.histories[].id, the webhook's changelog.id), so a site that
// is both polled and sends webhooks stores each transition once. Times
// may still differ by milliseconds (the delivery's timestamp against the
// entry's created); the store keeps one of them.
type Poller struct {
	o   ImportOptions
	w   *Webhook
	loc *time.Location
}

var _ poll.Importer = (*Poller)(nil)

// NewPoller validates o and returns a Poller.
func NewPoller(o ImportOptions) (*Poller, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.API == "" {
		o.API = APIDataCenter
		if u, err := url.Parse(o.Client.BaseURL()); err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".atlassian.net") {
			o.API = APICloud
		}
	}
	if o.MaxResults == 0 {
		o.MaxResults = 100
	}
	loc := time.UTC
	if o.TimeZone != "" {
		loc, _ = time.LoadLocation(o.TimeZone)
	}
	return &Poller{o: o, w: &Webhook{o: o.Options.withDefaults()}, loc: loc}, nil
}

// DefaultOverlap is ten minutes: updated is Jira's own clock.
func (p *Poller) DefaultOverlap() time.Duration { return 10 * time.Minute }

func (p *Poller) apiPath(rest string) string {
	if p.o.API == APICloud {
		return "/rest/api/3" + rest
	}
	return "/rest/api/2" + rest
}

// Import reads the issues stream.
func (p *Poller) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	cats, err := p.statusCategories(ctx)
	if err != nil {
		return fmt.Errorf("jira: %w", err)
	}
	if err := poll.RunStream(ctx, req, cp, sink, StreamIssues, p.issues(cats, req)); err != nil {
		return fmt.Errorf("jira: %w", err)
	}
	return nil
}

// statusCategories maps status ids to category keys (new, indeterminate,
// done). A site that hides the list (403, 404) leaves it empty: then only
// an issue's current status has a known category.
func (p *Poller) statusCategories(ctx context.Context) (map[string]string, error) {
	var sts []struct {
		ID       string `json:"id"`
		Category struct {
			Key string `json:"key"`
		} `json:"statusCategory"`
	}
	_, err := p.o.Client.GetJSON(ctx, p.apiPath("/status"), nil, &sts)
	if errors.Is(err, poll.ErrForbidden) || errors.Is(err, poll.ErrNotFound) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(sts))
	for _, s := range sts {
		m[s.ID] = s.Category.Key
	}
	return m, nil
}

// JQLTime writes t for JQL ("2026/02/01 09:30"), which Jira reads in the
// user's zone at minute precision: the earlier of t's readings in UTC and
// in loc, rounded down, so the query starts at or before t whichever
// zone applies.
func JQLTime(t time.Time, loc *time.Location) string {
	const layout = "2006/01/02 15:04"
	a, b := t.UTC().Format(layout), t.In(loc).Format(layout)
	return min(a, b)
}

func (p *Poller) jql(since time.Time) string {
	q := fmt.Sprintf(`updated >= "%s"`, JQLTime(since, p.loc))
	if p.o.Project != "" {
		q += fmt.Sprintf(` AND project = "%s"`, p.o.Project)
	}
	if p.o.JQL != "" {
		q += " AND (" + p.o.JQL + ")"
	}
	return q + " ORDER BY created ASC, key ASC"
}

const searchFields = "summary,issuetype,project,priority,components,created,updated,resolutiondate,status"

type apiIssue struct {
	ID        string          `json:"id"`
	Key       string          `json:"key"`
	Fields    json.RawMessage `json:"fields"`
	Changelog *struct {
		StartAt    int          `json:"startAt"`
		MaxResults int          `json:"maxResults"`
		Total      int          `json:"total"`
		Histories  []apiHistory `json:"histories"`
	} `json:"changelog"`
}

type apiHistory struct {
	ID      string        `json:"id"`
	Created string        `json:"created"`
	Items   []historyItem `json:"items"`
}

type historyItem struct {
	Field      string `json:"field"`
	FieldType  string `json:"fieldtype,omitempty"`
	FieldID    string `json:"fieldId,omitempty"`
	From       string `json:"from,omitempty"`
	FromString string `json:"fromString,omitempty"`
	To         string `json:"to,omitempty"`
	ToString   string `json:"toString,omitempty"`
}

func (p *Poller) issues(cats map[string]string, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		q := url.Values{"jql": {p.jql(since)}, "fields": {searchFields}, "expand": {"changelog"},
			"maxResults": {strconv.Itoa(p.o.MaxResults)}}
		var body struct {
			Issues        []apiIssue `json:"issues"`
			NextPageToken string     `json:"nextPageToken"`
			IsLast        *bool      `json:"isLast"`
			StartAt       int        `json:"startAt"`
			Total         int64      `json:"total"`
		}
		var path string
		if p.o.API == APICloud {
			path = "/rest/api/3/search/jql"
			if tok, ok := strings.CutPrefix(next, "token="); ok {
				q.Set("nextPageToken", tok)
			}
		} else {
			path = "/rest/api/2/search"
			start, _ := strconv.Atoi(strings.TrimPrefix(next, "startAt="))
			q.Set("startAt", strconv.Itoa(max(start, 0)))
		}
		if _, err := p.o.Client.GetJSON(ctx, path, q, &body); err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Items: len(body.Issues), Total: body.Total}
		if p.o.API == APICloud {
			if body.NextPageToken != "" && (body.IsLast == nil || !*body.IsLast) && len(body.Issues) > 0 {
				page.Next = "token=" + body.NextPageToken
			}
		} else if n := body.StartAt + len(body.Issues); int64(n) < body.Total && len(body.Issues) > 0 {
			page.Next = "startAt=" + strconv.Itoa(n)
		}
		for _, is := range body.Issues {
			evs, skipped, err := p.issueEvents(ctx, cats, is)
			if err != nil {
				return poll.Page{}, err
			}
			if skipped > 0 {
				req.Logger.Warn("issue partly skipped: it cannot be mapped", "issue", is.Key)
			}
			page.Skipped += skipped
			page.Events = append(page.Events, evs...)
		}
		return page, nil
	}
}

// issueFields is what the mapping reads of an issue's fields.
type issueFields struct {
	IssueType      json.RawMessage `json:"issuetype,omitempty"`
	Project        json.RawMessage `json:"project,omitempty"`
	Priority       json.RawMessage `json:"priority,omitempty"`
	Components     json.RawMessage `json:"components,omitempty"`
	Created        string          `json:"created,omitempty"`
	Updated        string          `json:"updated,omitempty"`
	ResolutionDate string          `json:"resolutiondate,omitempty"`
	Status         *issueStatus    `json:"status,omitempty"`
}

type issueStatus struct {
	ID             string `json:"id,omitempty"`
	Name           string `json:"name"`
	StatusCategory *struct {
		Key string `json:"key"`
	} `json:"statusCategory,omitempty"`
}

type hookPayload struct {
	Timestamp    int64  `json:"timestamp,omitempty"`
	WebhookEvent string `json:"webhookEvent"`
	Issue        struct {
		ID     string      `json:"id"`
		Key    string      `json:"key"`
		Fields issueFields `json:"fields"`
	} `json:"issue"`
	Changelog *struct {
		ID    string        `json:"id"`
		Items []historyItem `json:"items"`
	} `json:"changelog,omitempty"`
}

func (p *Poller) parse(h hookPayload) ([]ingest.Event, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return p.w.Parse(http.Header{}, b)
}

// issueEvents maps one issue as its webhook deliveries would have been:
// issue_created, then an issue_updated per status change.
func (p *Poller) issueEvents(ctx context.Context, cats map[string]string, is apiIssue) ([]ingest.Event, int, error) {
	var f issueFields
	if err := json.Unmarshal(is.Fields, &f); err != nil || is.Key == "" {
		return nil, 1, nil
	}
	histories, err := p.changelog(ctx, is)
	if err != nil {
		return nil, 0, err
	}
	var out []ingest.Event
	skipped := 0
	add := func(evs []ingest.Event, err error) error {
		n, err := poll.Skip(nil, is.Key, err)
		skipped += n
		out = append(out, evs...)
		return err
	}
	var h hookPayload
	h.WebhookEvent, h.Issue.ID, h.Issue.Key, h.Issue.Fields = "jira:issue_created", is.ID, is.Key, f
	if err := add(p.parse(h)); err != nil {
		return nil, skipped, err
	}
	// The last change into Done is the resolution the issue still has:
	// it takes the resolution date, as the webhook's delivery of it did.
	lastDone := -1
	type change struct {
		at   time.Time
		id   string
		item historyItem
		cat  string
	}
	var changes []change
	for _, hs := range histories {
		at, err := jiraTime(hs.Created)
		if err != nil {
			skipped++
			continue
		}
		for _, it := range hs.Items {
			if it.Field != "status" && it.FieldID != "status" {
				continue
			}
			cat := cats[it.To]
			if cat == "" && f.Status != nil && f.Status.ID == it.To && f.Status.StatusCategory != nil {
				cat = f.Status.StatusCategory.Key
			}
			changes = append(changes, change{at: at, id: hs.ID, item: it, cat: cat})
		}
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].at.Before(changes[j].at) })
	for i, c := range changes {
		if c.cat == "done" {
			lastDone = i
		}
	}
	currentDone := f.Status != nil && f.Status.StatusCategory != nil && f.Status.StatusCategory.Key == "done"
	for i, c := range changes {
		if c.cat != "indeterminate" && c.cat != "done" {
			continue
		}
		var u hookPayload
		u.Timestamp = c.at.UnixMilli()
		u.WebhookEvent, u.Issue.ID, u.Issue.Key = "jira:issue_updated", is.ID, is.Key
		u.Issue.Fields = f
		u.Issue.Fields.Status = &issueStatus{ID: c.item.To, Name: c.item.ToString, StatusCategory: &struct {
			Key string `json:"key"`
		}{c.cat}}
		if !(i == lastDone && currentDone) {
			u.Issue.Fields.ResolutionDate = ""
		}
		u.Changelog = &struct {
			ID    string        `json:"id"`
			Items []historyItem `json:"items"`
		}{ID: c.id, Items: []historyItem{c.item}}
		if err := add(p.parse(u)); err != nil {
			return nil, skipped, err
		}
	}
	return out, skipped, nil
}

// maxHistories bounds the changelog read per issue.
const maxHistories = 5000

// changelog returns an issue's whole changelog: the search's when it is
// complete, else the issue's own (Cloud: paged changelog; Data Center:
// the issue with expand=changelog, which is not truncated).
func (p *Poller) changelog(ctx context.Context, is apiIssue) ([]apiHistory, error) {
	if is.Changelog == nil {
		return nil, nil
	}
	if is.Changelog.Total <= len(is.Changelog.Histories) {
		return is.Changelog.Histories, nil
	}
	key := url.PathEscape(is.Key)
	if p.o.API != APICloud {
		var full struct {
			Changelog struct {
				Histories []apiHistory `json:"histories"`
			} `json:"changelog"`
		}
		if _, err := p.o.Client.GetJSON(ctx, "/rest/api/2/issue/"+key, url.Values{"expand": {"changelog"}, "fields": {"status"}}, &full); err != nil {
			return nil, err
		}
		return full.Changelog.Histories, nil
	}
	var all []apiHistory
	for start := 0; len(all) < maxHistories; {
		var pg struct {
			Values []apiHistory `json:"values"`
			IsLast bool         `json:"isLast"`
			Total  int          `json:"total"`
		}
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"100"}}
		if _, err := p.o.Client.GetJSON(ctx, "/rest/api/3/issue/"+key+"/changelog", q, &pg); err != nil {
			return nil, err
		}
		all = append(all, pg.Values...)
		start += len(pg.Values)
		if pg.IsLast || len(pg.Values) == 0 || (pg.Total > 0 && start >= pg.Total) {
			break
		}
	}
	return all, nil
}

package bmchelix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/poll"
)

// ImportOptions configure a Poller.
type ImportOptions struct {
	// Client is the session (NewAPIClient).
	Client  *API `yaml:"-"`
	Options `yaml:",inline"`
	// Streams to read: incidents, changes (default both).
	Streams []string `yaml:"streams"`
	// IncidentForm and ChangeForm override the forms read (defaults
	// HPD:Help Desk and CHG:Infrastructure Change).
	IncidentForm string `yaml:"incident_form"`
	ChangeForm   string `yaml:"change_form"`
	// Query is an AR System qualification ANDed to the time condition
	// ("'Assigned Support Company' = \"Calbro Services\"").
	Query string `yaml:"query"`
	// Limit is the page size (default 500).
	Limit int `yaml:"limit"`
}

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.Client == nil {
		return errNoClient
	}
	for i, s := range o.Streams {
		if s != StreamIncidents && s != StreamChanges {
			return fmt.Errorf("streams[%d]: %q is not incidents or changes", i, s)
		}
	}
	for _, f := range []struct{ key, v string }{{"incident_form", o.IncidentForm}, {"change_form", o.ChangeForm}} {
		if f.v != "" && (strings.TrimSpace(f.v) != f.v || strings.ContainsAny(f.v, "/?#")) {
			return fmt.Errorf("%s: %q is not a form name", f.key, f.v)
		}
	}
	if strings.Count(o.Query, "(") != strings.Count(o.Query, ")") {
		return fmt.Errorf("query: unbalanced parentheses in %q", o.Query)
	}
	if o.Limit < 0 || o.Limit > 2000 {
		return fmt.Errorf("limit: %d is not between 1 and 2000", o.Limit)
	}
	return o.Options.Validate()
}

// Poller reads incidents and changes through GET
// /api/arsys/v1/entry/{form}: entries whose Last Modified Date is at or
// after the pass's since, Limit at a time by offset.
//
// Pages are ordered by Submit Date (and the record's id), not by Last
// Modified Date: a record updated during a pass keeps its place, so the
// offsets of later pages do not shift and no record is skipped. A record
// updated after the pass began is read by the next pass, which starts at
// this pass's start less the overlap.
type Poller struct {
	o ImportOptions
	m *mapper
}

var _ poll.Importer = (*Poller)(nil)

// NewPoller validates o and returns a Poller.
func NewPoller(o ImportOptions) (*Poller, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(o.Streams) == 0 {
		o.Streams = []string{StreamIncidents, StreamChanges}
	}
	if o.IncidentForm == "" {
		o.IncidentForm = FormIncident
	}
	if o.ChangeForm == "" {
		o.ChangeForm = FormChange
	}
	if o.Limit == 0 {
		o.Limit = 500
	}
	opts := o.Options.withDefaults()
	loc, err := time.LoadLocation(opts.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time_zone: %w", err)
	}
	return &Poller{o: o, m: &mapper{o: opts, loc: loc}}, nil
}

// DefaultOverlap is ten minutes: Last Modified Date is the server's clock.
func (p *Poller) DefaultOverlap() time.Duration { return 10 * time.Minute }

// Import reads each stream, then logs the session out.
func (p *Poller) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	defer p.o.Client.Logout(context.WithoutCancel(ctx))
	for _, s := range p.o.Streams {
		if err := poll.RunStream(ctx, req, cp, sink, s, p.stream(s, req)); err != nil {
			return fmt.Errorf("bmchelix %s: %w", s, err)
		}
	}
	return nil
}

var (
	incidentRoles = []string{"incident_number", "status", "status_reason", "priority", "submitted", "responded",
		"resolved", "closed", "modified", "assigned_group", "service_ci", "ci"}
	changeRoles = []string{"change_id", "change_status", "change_reason", "change_timing", "change_submitted",
		"approved", "completed", "actual_end", "modified", "change_group", "change_service"}
)

// QueryTime writes t for a qualification: seconds since the epoch, which
// AR System compares with date/time fields without a zone or locale.
func QueryTime(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func (p *Poller) stream(stream string, req poll.Request) poll.Fetch {
	form, roles, idRole, created, mapRec := p.o.IncidentForm, incidentRoles, "incident_number", "submitted", p.m.incident
	if stream == StreamChanges {
		form, roles, idRole, created, mapRec = p.o.ChangeForm, changeRoles, "change_id", "change_submitted", p.m.change
	}
	var fields []string
	for _, r := range roles {
		if f := p.m.f(r); !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	path := "/api/arsys/v1/entry/" + url.PathEscape(form)
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		offset, _ := strconv.Atoi(strings.TrimPrefix(next, "offset="))
		qual := fmt.Sprintf("'%s' >= %s", p.m.f("modified"), QueryTime(since))
		if p.o.Query != "" {
			qual += " AND (" + p.o.Query + ")"
		}
		q := url.Values{
			"q":      {qual},
			"fields": {"values(" + strings.Join(fields, ",") + ")"},
			"sort":   {p.m.f(created) + ".asc," + p.m.f(idRole) + ".asc"},
			"offset": {strconv.Itoa(max(offset, 0))},
			"limit":  {strconv.Itoa(p.o.Limit)},
		}
		r, err := p.o.Client.Get(ctx, path, q)
		if err != nil {
			return poll.Page{}, err
		}
		pg, err := ParsePage(r.Body)
		if err != nil {
			return poll.Page{}, fmt.Errorf("GET %s: %v", r.Path, err)
		}
		page := poll.Page{Items: len(pg.Entries)}
		for _, rec := range pg.Entries {
			evs, err := mapRec(rec)
			n, err := poll.Skip(req.Logger, form+" "+rec.str(p.m.f(idRole)), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			page.Events = append(page.Events, evs...)
		}
		// Helix links the next page while there is one; without links
		// at all, a full page means there may be more.
		nextOffset := -1
		switch {
		case pg.Next != "":
			if u, err := url.Parse(pg.Next); err == nil {
				if n, err := strconv.Atoi(u.Query().Get("offset")); err == nil && n > offset {
					nextOffset = n
				}
			}
		case !pg.Linked && len(pg.Entries) >= p.o.Limit:
			nextOffset = offset + len(pg.Entries)
		}
		if nextOffset > 0 && len(pg.Entries) > 0 {
			page.Next = "offset=" + strconv.Itoa(nextOffset)
		}
		return page, nil
	}
}

// Page is one page of GET /api/arsys/v1/entry/{form}.
type Page struct {
	Entries []record
	// Next is _links.next[0].href ("" on the last page).
	Next string
	// Linked says the page had _links at all.
	Linked bool
}

// ParsePage decodes an entry list:
//
//	{"entries": [{"values": {...}, "_links": {...}}], "_links": {"next": [{"href": "..."}]}}
func ParsePage(body []byte) (Page, error) {
	var raw struct {
		Entries []struct {
			Values map[string]any `json:"values"`
		} `json:"entries"`
		Links *struct {
			Next []struct {
				Href string `json:"href"`
			} `json:"next"`
		} `json:"_links"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return Page{}, fmt.Errorf("the answer is not an entry list: %v", err)
	}
	var pg Page
	for _, e := range raw.Entries {
		if e.Values != nil {
			pg.Entries = append(pg.Entries, record(e.Values))
		}
	}
	if raw.Links != nil {
		pg.Linked = true
		if len(raw.Links.Next) > 0 {
			pg.Next = raw.Links.Next[0].Href
		}
	}
	return pg, nil
}

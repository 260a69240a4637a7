package servicenow

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

// Source is the name of this package's events' source.
const Source = source

// NewAPIClient returns a client for an instance's REST API; o.BaseURL is
// the instance (https://<name>.service-now.com). Basic credentials are
// used as given; OAuth's token URL defaults to <instance>/oauth_token.do.
func NewAPIClient(o poll.ClientOptions) (*poll.Client, error) {
	o.Source = source
	if o.Auth.Kind == poll.AuthNone {
		switch {
		case o.Auth.ClientID != "":
			o.Auth.Kind = poll.AuthOAuth2
		case o.Auth.Username != "":
			o.Auth.Kind = poll.AuthBasic
		case o.Auth.Token != "":
			o.Auth.Kind = poll.AuthBearer
		}
	}
	if o.Auth.Kind == poll.AuthOAuth2 && o.Auth.TokenURL == "" {
		o.Auth.TokenURL = strings.TrimRight(o.BaseURL, "/") + "/oauth_token.do"
	}
	return poll.NewClient(o)
}

// ImportOptions configure a Poller. The embedded Options map records
// exactly as the webhook does (time_zone, ci_services, close codes, ...);
// its credentials are not used: the client authenticates.
type ImportOptions struct {
	// Client calls the instance (NewAPIClient).
	Client  *poll.Client `yaml:"-"`
	Options `yaml:",inline"`
	// Tables to read (default incident and change_request).
	Tables []string `yaml:"tables"`
	// Query is an encoded query ANDed to the time condition, to narrow
	// what is read ("assignment_group.name=Payments"). No ORDERBY.
	Query string `yaml:"query"`
	// Limit is sysparm_limit, the page size (default 500).
	Limit int `yaml:"limit"`
}

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.Client == nil {
		return errors.New("servicenow import: Client is required")
	}
	for i, t := range o.Tables {
		if t != tableIncident && t != tableChange {
			return fmt.Errorf("tables[%d]: %q is not incident or change_request", i, t)
		}
	}
	if strings.Contains(strings.ToUpper(o.Query), "ORDERBY") {
		return errors.New("query: must not order (the poller orders by sys_created_on)")
	}
	if o.Limit < 0 || o.Limit > 10000 {
		return fmt.Errorf("limit: %d is not between 1 and 10000", o.Limit)
	}
	// The webhook's options minus its credentials, which polling does not use.
	m := o.Options
	m.Username, m.Password, m.Token = "", "", "poll"
	if err := m.Validate(); err != nil {
		// The webhook's errors name its own section; here the keys are
		// the job's options.
		return errors.New(strings.TrimPrefix(err.Error(), "servicenow."))
	}
	return nil
}

// Poller reads incidents and change requests through the Table API:
// records updated since the pass's since (sys_updated_on), with display
// values and values (sysparm_display_value=all), sysparm_limit at a time
// by sysparm_offset. Each record is mapped by the webhook's code, so a
// record polled and pushed yields the same events.
//
// Pages are ordered by sys_created_on, not sys_updated_on: a record
// updated during a pass then keeps its place, and the offsets of the
// pages after it do not shift (ordering by update time moves it to the
// end and makes the next page skip one record). A record updated after
// the pass started is read again by the next pass, which starts at this
// pass's start less the overlap.
type Poller struct {
	o ImportOptions
	w *Webhook
}

var _ poll.Importer = (*Poller)(nil)

// NewPoller validates o and returns a Poller.
func NewPoller(o ImportOptions) (*Poller, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(o.Tables) == 0 {
		o.Tables = []string{tableIncident, tableChange}
	}
	if o.Limit == 0 {
		o.Limit = 500
	}
	opts := o.Options.withDefaults()
	loc, err := time.LoadLocation(opts.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time_zone: %w", err)
	}
	return &Poller{o: o, w: &Webhook{o: opts, loc: loc}}, nil
}

// DefaultOverlap is ten minutes: sys_updated_on is the instance's own
// clock, so the overlap covers only clock skew and transactions that
// commit late.
func (p *Poller) DefaultOverlap() time.Duration { return 10 * time.Minute }

// Import reads each table.
func (p *Poller) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	for _, t := range p.o.Tables {
		if err := poll.RunStream(ctx, req, cp, sink, t, p.table(t, req)); err != nil {
			return fmt.Errorf("servicenow %s: %w", t, err)
		}
	}
	return nil
}

// fields are what the mapping reads; asking for them only keeps pages small.
func (p *Poller) fields() string {
	fs := []string{"sys_id", "number", "sys_class_name", "state", "incident_state", "opened_at", "sys_created_on",
		"sys_updated_on", "resolved_at", "closed_at", "work_start", "work_end", "priority", "assignment_group",
		"cmdb_ci", "business_service", "caused_by", "category", "urgency", "impact", "close_code",
		"resolved_by", "reopen_count", "reopened_time", "type", "approval", "approval_set"}
	for _, f := range []string{p.w.o.DeploymentField, p.w.o.ApprovedTimeField} {
		if f != "" && !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	return strings.Join(fs, ",")
}

// QueryTime writes t for an encoded query. Which zone the instance reads
// it in depends on the integration user's settings, so the earlier of t's
// wall-clock times in UTC and in the instance's zone is used: whichever
// the instance assumes, the query starts at or before t (earlier only
// re-reads records, which is harmless).
func QueryTime(t time.Time, loc *time.Location) string {
	const layout = "2006-01-02 15:04:05"
	a, b := t.UTC().Format(layout), t.In(loc).Format(layout)
	return min(a, b)
}

func (p *Poller) table(table string, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		offset, _ := strconv.Atoi(strings.TrimPrefix(next, "offset="))
		query := "sys_updated_on>=" + QueryTime(since, p.w.loc)
		if p.o.Query != "" {
			query += "^" + p.o.Query
		}
		query += "^ORDERBYsys_created_on^ORDERBYsys_id"
		q := url.Values{
			"sysparm_query":                  {query},
			"sysparm_display_value":          {"all"},
			"sysparm_exclude_reference_link": {"true"},
			"sysparm_fields":                 {p.fields()},
			"sysparm_limit":                  {strconv.Itoa(p.o.Limit)},
			"sysparm_offset":                 {strconv.Itoa(max(offset, 0))},
		}
		r, err := p.o.Client.Get(ctx, "/api/now/table/"+table, q)
		if err != nil {
			return poll.Page{}, err
		}
		recs, err := records(r.Body)
		if errors.Is(err, ingest.ErrIgnored) {
			recs = nil // an empty result
		} else if err != nil {
			return poll.Page{}, fmt.Errorf("GET %s: the answer is not a Table API result: %v", r.Path, err)
		}
		page := poll.Page{Items: len(recs)}
		page.Total, _ = strconv.ParseInt(r.Header.Get("X-Total-Count"), 10, 64)
		for _, rec := range recs {
			evs, err := p.w.parseRecord(rec)
			n, err := poll.Skip(req.Logger, table+" "+rec.val("number"), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			page.Events = append(page.Events, evs...)
		}
		// ServiceNow links the pages (a page that ACLs shortened has fewer
		// rows than the limit but still a next link; the last has none).
		// Without Link headers at all, a full page means there may be more.
		nextOffset := -1
		if r.Header.Get("Link") != "" {
			if u, err := url.Parse(r.Next()); err == nil && r.Next() != "" {
				if n, err := strconv.Atoi(u.Query().Get("sysparm_offset")); err == nil && n > offset {
					nextOffset = n
				}
			}
		} else if len(recs) >= p.o.Limit {
			nextOffset = offset + p.o.Limit
		}
		if nextOffset > 0 {
			page.Next = "offset=" + strconv.Itoa(nextOffset)
		}
		return page, nil
	}
}

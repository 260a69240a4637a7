package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/poll"
)

// PollOptions configure a Poller: a REST endpoint that lists records
// changed since a time, page by page, and the mapping of each record. It
// polls tools without a native importer: BMC Helix ITSM, Ivanti Neurons
// for ITSM, Cherwell, home-made tools. See poll/SOURCES.md for each.
type PollOptions struct {
	// Client calls the tool (its base URL is the instance).
	Client *poll.Client `yaml:"-"`
	// Name is the events' source: use the name of the tool's push mapping
	// (POST /webhooks/custom/{name}) so that polled and pushed records
	// are the same events. Default: the job's name.
	Name string `yaml:"name"`
	// Path is the list endpoint, relative to the instance
	// ("/api/odata/businessobject/incidents").
	Path string `yaml:"path"`
	// Query parameters; "{since}" in a value is replaced by the pass's
	// start time written as SinceFormat says.
	Query map[string]string `yaml:"query"`
	// SinceFormat is rfc3339 (default), unix, unix_ms or a Go layout;
	// SinceZone the zone of a layout without offset (default UTC).
	SinceFormat string `yaml:"since_format"`
	SinceZone   string `yaml:"since_zone"`
	// Items is the path of the record array in a page ("value",
	// "entries"); empty when the page is the array.
	Items string `yaml:"items"`
	// Paging says how to get the next page.
	Paging Paging `yaml:"paging"`
	// Mapping maps one record (paths relative to it). Its auth is not
	// used: the client authenticates.
	Mapping Mapping `yaml:"mapping"`
	// AuthHeader and AuthPrefix send the job's token in a header of the
	// tool's own form: Authorization "AR-JWT <token>" (BMC Helix),
	// Authorization "rest_api_key=<key>" (Ivanti). Without them a token
	// is a bearer token.
	AuthHeader string `yaml:"auth_header"`
	AuthPrefix string `yaml:"auth_prefix"`
}

// Paging is how a Poller pages.
type Paging struct {
	// Kind: none, offset ($skip, offset), page (page numbers), link (a
	// next URL in the body at NextPath, or the Link header), cursor (a
	// token in the body at NextPath, sent back as Param).
	Kind string `yaml:"kind"`
	// Param is the offset, page or cursor parameter ("$skip", "offset",
	// "page", "pageToken").
	Param string `yaml:"param"`
	// SizeParam and Size set the page size ("$top", 100).
	SizeParam string `yaml:"size_param"`
	Size      int    `yaml:"size"`
	// Start is the first page number of kind page (default 1).
	Start int `yaml:"start"`
	// NextPath is where the next URL (link) or cursor (cursor) is.
	NextPath string `yaml:"next_path"`
}

// Validate reports the first bad option, naming its key.
func (o PollOptions) Validate() error {
	if o.Client == nil {
		return errors.New("generic poll: Client is required")
	}
	if o.Name != "" && !nameRE.MatchString(o.Name) {
		return fmt.Errorf("name: %q must be lower-case letters, digits, _ and -", o.Name)
	}
	if !strings.HasPrefix(o.Path, "/") {
		return fmt.Errorf("path: %q must be a path starting with /", o.Path)
	}
	found := false
	for k, v := range o.Query {
		if k == "" {
			return errors.New("query: empty parameter name")
		}
		found = found || strings.Contains(v, "{since}")
	}
	if !found {
		return errors.New(`query: no parameter has "{since}": every poll would read everything`)
	}
	switch o.SinceFormat {
	case "", "rfc3339", "unix", "unix_ms":
	default:
		if !strings.Contains(o.SinceFormat, "2006") && !strings.Contains(o.SinceFormat, "06") {
			return fmt.Errorf("since_format: %q is not rfc3339, unix, unix_ms or a Go layout", o.SinceFormat)
		}
	}
	if o.SinceZone != "" {
		if _, err := time.LoadLocation(o.SinceZone); err != nil {
			return fmt.Errorf("since_zone: unknown zone %q", o.SinceZone)
		}
	}
	if o.Items != "" {
		if _, err := compile(o.Items); err != nil {
			return fmt.Errorf("items: %v", err)
		}
	}
	p := o.Paging
	switch p.Kind {
	case "", "none":
	case "offset", "page":
		if p.Param == "" {
			return fmt.Errorf("paging.param: required for kind %s", p.Kind)
		}
	case "cursor":
		if p.Param == "" || p.NextPath == "" {
			return errors.New("paging.param and paging.next_path: required for kind cursor")
		}
	case "link":
	default:
		return fmt.Errorf("paging.kind: %q is not none, offset, page, link or cursor", p.Kind)
	}
	if p.NextPath != "" {
		if _, err := compile(p.NextPath); err != nil {
			return fmt.Errorf("paging.next_path: %v", err)
		}
	}
	if p.Size < 0 || p.Size > 10000 {
		return fmt.Errorf("paging.size: %d is not between 1 and 10000", p.Size)
	}
	m := o.Mapping
	if m.Auth.Kind == "" {
		m.Auth = Auth{Kind: "bearer", Secret: "unused"}
	}
	if m.Items != "" {
		return errors.New("mapping.items: set items beside mapping (a page's record array)")
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("mapping.%w", err)
	}
	return nil
}

// Poller polls one list endpoint and maps its records.
type Poller struct {
	o     PollOptions
	w     *Webhook
	items path
	next  path
	loc   *time.Location
}

var _ poll.Importer = (*Poller)(nil)

// NewPoller validates o and returns a Poller.
func NewPoller(o PollOptions) (*Poller, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = "generic"
	}
	if o.Paging.Size == 0 {
		o.Paging.Size = 100
	}
	if o.Paging.Kind == "page" && o.Paging.Start == 0 {
		o.Paging.Start = 1
	}
	m := o.Mapping
	if m.Auth.Kind == "" {
		m.Auth = Auth{Kind: "bearer", Secret: "unused"}
	}
	w, err := New(Options{Name: o.Name, Mapping: m})
	if err != nil {
		return nil, err
	}
	p := &Poller{o: o, w: w, loc: time.UTC}
	if o.Items != "" {
		p.items, _ = compile(o.Items)
	}
	if o.Paging.NextPath != "" {
		p.next, _ = compile(o.Paging.NextPath)
	}
	if o.SinceZone != "" {
		p.loc, _ = time.LoadLocation(o.SinceZone)
	}
	return p, nil
}

// DefaultOverlap is ten minutes.
func (p *Poller) DefaultOverlap() time.Duration { return 10 * time.Minute }

// StreamRecords is the Poller's one stream.
const StreamRecords = "records"

// Import reads the endpoint from its checkpoint to the end.
func (p *Poller) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	if err := poll.RunStream(ctx, req, cp, sink, StreamRecords, p.fetch(req)); err != nil {
		return fmt.Errorf("%s: %w", p.o.Name, err)
	}
	return nil
}

func (p *Poller) since(t time.Time) string {
	switch p.o.SinceFormat {
	case "", "rfc3339":
		return t.UTC().Format(time.RFC3339)
	case "unix":
		return strconv.FormatInt(t.Unix(), 10)
	case "unix_ms":
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return t.In(p.loc).Format(p.o.SinceFormat)
}

func (p *Poller) fetch(req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		pg := p.o.Paging
		ref := p.o.Path
		q := url.Values{}
		keys := make([]string, 0, len(p.o.Query))
		for k := range p.o.Query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			q.Set(k, strings.ReplaceAll(p.o.Query[k], "{since}", p.since(since)))
		}
		if pg.SizeParam != "" {
			q.Set(pg.SizeParam, strconv.Itoa(pg.Size))
		}
		pos := 0
		switch pg.Kind {
		case "offset":
			pos, _ = strconv.Atoi(strings.TrimPrefix(next, "offset="))
			q.Set(pg.Param, strconv.Itoa(pos))
		case "page":
			pos = pg.Start
			if n, err := strconv.Atoi(strings.TrimPrefix(next, "page=")); err == nil && next != "" {
				pos = n
			}
			q.Set(pg.Param, strconv.Itoa(pos))
		case "cursor":
			if c, ok := strings.CutPrefix(next, "cursor="); ok {
				q.Set(pg.Param, c)
			}
		case "link":
			if u, ok := strings.CutPrefix(next, "url="); ok {
				ref, q = u, nil
			}
		}
		r, err := p.o.Client.Get(ctx, ref, q)
		if err != nil {
			return poll.Page{}, err
		}
		d := json.NewDecoder(bytes.NewReader(r.Body))
		d.UseNumber()
		var doc any
		if err := d.Decode(&doc); err != nil {
			return poll.Page{}, fmt.Errorf("GET %s: the answer is not JSON: %v", r.Path, err)
		}
		var recs []any
		if p.items != nil {
			v := p.items.get(doc)
			if v != nil {
				arr, ok := v.([]any)
				if !ok {
					return poll.Page{}, fmt.Errorf("GET %s: items: %s is not an array", r.Path, p.o.Items)
				}
				recs = arr
			}
		} else if arr, ok := doc.([]any); ok {
			recs = arr
		} else {
			return poll.Page{}, fmt.Errorf("GET %s: the answer is not an array; set items", r.Path)
		}
		page := poll.Page{Items: len(recs)}
		for i, rec := range recs {
			e, err := p.w.event(rec)
			switch {
			case err == nil:
				page.Events = append(page.Events, e)
			case isIgnored(err):
			default:
				page.Skipped++
				req.Logger.Warn("record skipped: it cannot be mapped", "record", i, "err", err)
			}
		}
		// A short page is the last one only when the page size was asked
		// for; without size_param the API's own size is unknown, so paging
		// goes on until a page comes back empty.
		full := len(recs) >= pg.Size || pg.SizeParam == "" && len(recs) > 0
		switch pg.Kind {
		case "offset":
			if full {
				page.Next = "offset=" + strconv.Itoa(pos+len(recs))
			}
		case "page":
			if full {
				page.Next = "page=" + strconv.Itoa(pos+1)
			}
		case "cursor":
			if c := text(p.next.get(doc)); c != "" && len(recs) > 0 {
				page.Next = "cursor=" + c
			}
		case "link":
			link := r.Next()
			if p.next != nil {
				link = text(p.next.get(doc))
			}
			if link != "" && len(recs) > 0 {
				page.Next = "url=" + link
			}
		}
		return page, nil
	}
}

package cherwell

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
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
	// IncidentBusObID and ChangeBusObID are the ids of the Incident and
	// Change Request business objects: per instance, so required for the
	// streams read (GET /CherwellAPI/api/V1/getbusinessobjectsummary/
	// busobname/Incident gives it).
	IncidentBusObID string `yaml:"incident_busobid"`
	ChangeBusObID   string `yaml:"change_busobid"`
	// PageSize is the number of records a page (default 200).
	PageSize int `yaml:"page_size"`
	// AuthMode is the token request's auth_mode: Internal (Cherwell's
	// default), LDAP, SAML, Windows or Auto, for users who do not log in
	// with a Cherwell password.
	AuthMode string `yaml:"auth_mode"`
}

// AuthModes are the token request's auth_mode values.
var AuthModes = []string{"Internal", "LDAP", "SAML", "Windows", "Auto"}

var busObIDRE = regexp.MustCompile(`^[0-9A-Fa-f]{16,64}$`)

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.AuthMode != "" && !slices.Contains(AuthModes, o.AuthMode) {
		return fmt.Errorf("auth_mode: %q is not one of %s", o.AuthMode, strings.Join(AuthModes, ", "))
	}
	if o.Client == nil {
		return errNoClient
	}
	for i, s := range o.Streams {
		if s != StreamIncidents && s != StreamChanges {
			return fmt.Errorf("streams[%d]: %q is not incidents or changes", i, s)
		}
	}
	streams := o.Streams
	if len(streams) == 0 {
		streams = []string{StreamIncidents, StreamChanges}
	}
	for _, f := range []struct{ key, stream, name, v string }{
		{"incident_busobid", StreamIncidents, "Incident", o.IncidentBusObID},
		{"change_busobid", StreamChanges, "ChangeRequest", o.ChangeBusObID},
	} {
		switch {
		case f.v == "" && contains(streams, f.stream):
			return fmt.Errorf("%s: required to read %s (the %s business object's id on your instance: GET /CherwellAPI/api/V1/getbusinessobjectsummary/busobname/%s)", f.key, f.stream, f.name, f.name)
		case f.v != "" && !busObIDRE.MatchString(f.v):
			return fmt.Errorf("%s: %q is not a business object id (hexadecimal, like 6dd53665c0c24cab86870a21cf6434ae)", f.key, f.v)
		}
	}
	if o.PageSize < 0 || o.PageSize > 1000 {
		return fmt.Errorf("page_size: %d is not between 1 and 1000", o.PageSize)
	}
	return o.Options.Validate()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Poller reads incidents and change requests through POST
// /CherwellAPI/api/V1/getsearchresults: records whose modification time
// is after the pass's since, PageSize at a time by pageNumber, until
// totalRows are read.
//
// Pages are sorted by creation time (then record id), not by
// modification time: a record updated during a pass keeps its place, so
// later pages do not shift and no record is skipped. A record updated
// after the pass began is read by the next pass, which starts at this
// pass's start less the overlap.
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
	if o.PageSize == 0 {
		o.PageSize = 200
	}
	opts := o.Options.withDefaults()
	loc, err := time.LoadLocation(opts.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time_zone: %w", err)
	}
	return &Poller{o: o, m: &mapper{o: opts, loc: loc}}, nil
}

// DefaultOverlap is ten minutes: modification times are the server's
// clock.
func (p *Poller) DefaultOverlap() time.Duration { return 10 * time.Minute }

// Import reads each stream, then logs the session out.
func (p *Poller) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	defer p.o.Client.Logout(context.WithoutCancel(ctx))
	for _, s := range p.o.Streams {
		if err := poll.RunStream(ctx, req, cp, sink, s, p.stream(s, req)); err != nil {
			return fmt.Errorf("cherwell %s: %w", s, err)
		}
	}
	return nil
}

const (
	searchPath = "/CherwellAPI/api/V1/getsearchresults"
	schemaPath = "/CherwellAPI/api/V1/getbusinessobjectschema/busobid/"
)

// SearchRequest is the body of getsearchresults.
type SearchRequest struct {
	BusObID          string   `json:"busObId"`
	Filters          []Filter `json:"filters"`
	Sorting          []SortBy `json:"sorting,omitempty"`
	PageNumber       int      `json:"pageNumber"`
	PageSize         int      `json:"pageSize"`
	IncludeAllFields bool     `json:"includeAllFields"`
}

// Filter is one search filter.
type Filter struct {
	FieldID  string `json:"fieldId"`
	Operator string `json:"operator"`
	Value    string `json:"value"`
}

// SortBy is one sort key; SortDirection 1 is ascending.
type SortBy struct {
	FieldID       string `json:"fieldId"`
	SortDirection int    `json:"sortDirection"`
}

// searchFields are the field ids a stream's search needs.
type searchFields struct {
	modified, created, recID string
}

// schema reads the business object's field ids by name.
func (p *Poller) schema(ctx context.Context, busObID, modified, created string) (searchFields, error) {
	r, err := p.o.Client.Do(ctx, http.MethodGet, schemaPath+url.PathEscape(busObID), nil)
	if err != nil {
		return searchFields{}, err
	}
	ids, err := ParseSchema(r.Body)
	if err != nil {
		return searchFields{}, fmt.Errorf("GET %s: %v", r.Path, err)
	}
	sf := searchFields{modified: ids[strings.ToLower(modified)], created: ids[strings.ToLower(created)], recID: ids["recid"]}
	if sf.modified == "" {
		return searchFields{}, fmt.Errorf("GET %s: the business object has no field %q to filter on (set options.fields)", r.Path, modified)
	}
	return sf, nil
}

// ParseSchema decodes a business object schema into field ids by
// lower-cased internal name:
//
//	{"busObId": "...", "fieldDefinitions": [{"fieldId": "BO:...,FI:...", "name": "CreatedDateTime", ...}]}
func ParseSchema(body []byte) (map[string]string, error) {
	var raw struct {
		FieldDefinitions []struct {
			FieldID string `json:"fieldId"`
			Name    string `json:"name"`
		} `json:"fieldDefinitions"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("the answer is not a business object schema: %v", err)
	}
	ids := map[string]string{}
	for _, f := range raw.FieldDefinitions {
		if f.Name != "" && f.FieldID != "" {
			ids[strings.ToLower(f.Name)] = f.FieldID
		}
	}
	return ids, nil
}

// QueryTime writes t for a filter: in the configured zone and layout,
// rounded down to the layout's precision so that nothing at since is
// left out.
func (m *mapper) queryTime(t time.Time) string {
	t = t.In(m.loc)
	if !strings.Contains(m.o.DateLayout, "05") {
		t = t.Truncate(time.Minute)
	}
	return t.Format(m.o.DateLayout)
}

func (p *Poller) stream(stream string, req poll.Request) poll.Fetch {
	busObID, idRole, created, modified, mapRec, what := p.o.IncidentBusObID, "incident_id", "created", "modified", p.m.incident, "Incident"
	if stream == StreamChanges {
		busObID, idRole, created, modified, mapRec, what = p.o.ChangeBusObID, "change_id", "change_created", "change_modified", p.m.change, "ChangeRequest"
	}
	var sf *searchFields
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if sf == nil {
			f, err := p.schema(ctx, busObID, p.m.f(modified), p.m.f(created))
			if err != nil {
				return poll.Page{}, err
			}
			sf = &f
		}
		page, _ := strconv.Atoi(strings.TrimPrefix(next, "page="))
		page = max(page, 1)
		sr := SearchRequest{
			BusObID:          busObID,
			Filters:          []Filter{{FieldID: sf.modified, Operator: "gt", Value: p.m.queryTime(since)}},
			PageNumber:       page,
			PageSize:         p.o.PageSize,
			IncludeAllFields: true,
		}
		for _, id := range []string{sf.created, sf.recID} {
			if id != "" {
				sr.Sorting = append(sr.Sorting, SortBy{FieldID: id, SortDirection: 1})
			}
		}
		body, err := json.Marshal(sr)
		if err != nil {
			return poll.Page{}, err
		}
		r, err := p.o.Client.Do(ctx, http.MethodPost, searchPath, body)
		if err != nil {
			return poll.Page{}, err
		}
		pg, err := ParsePage(r.Body)
		if err != nil {
			return poll.Page{}, fmt.Errorf("POST %s: %v", r.Path, err)
		}
		out := poll.Page{Items: len(pg.Objects) + len(pg.Failed), Total: pg.TotalRows, Skipped: len(pg.Failed)}
		for _, f := range pg.Failed {
			req.Logger.Warn("record skipped: Cherwell could not read it", "record", f)
		}
		for _, rec := range pg.Objects {
			evs, err := mapRec(rec)
			n, err := poll.Skip(req.Logger, what+" "+rec.label(p.m.f(idRole)), err)
			if err != nil {
				return poll.Page{}, err
			}
			out.Skipped += n
			out.Events = append(out.Events, evs...)
		}
		// Without totalRows, a full page means there may be more.
		if n := len(pg.Objects) + len(pg.Failed); n > 0 && (int64(page)*int64(p.o.PageSize) < pg.TotalRows || (!pg.Counted && n >= p.o.PageSize)) {
			out.Next = "page=" + strconv.Itoa(page+1)
		}
		return out, nil
	}
}

// Page is one page of getsearchresults.
type Page struct {
	Objects []record
	// Failed are the objects Cherwell could not read (their own hasError),
	// as "<public id>: <error>".
	Failed []string
	// TotalRows is the number of records the search matches; Counted
	// says the answer had it.
	TotalRows int64
	Counted   bool
}

// ParsePage decodes search results:
//
//	{"businessObjects": [{"busObRecId": "...", "busObPublicId": "...",
//	  "fields": [{"name": "...", "fieldId": "...", "value": "...", "displayName": "..."}]}],
//	 "totalRows": 5, "hasError": false, "errorMessage": null}
//
// A 200 answer with hasError set is an error.
func ParsePage(body []byte) (Page, error) {
	var raw struct {
		BusinessObjects []struct {
			BusObRecID    string `json:"busObRecId"`
			BusObPublicID string `json:"busObPublicId"`
			HasError      bool   `json:"hasError"`
			ErrorMessage  string `json:"errorMessage"`
			Fields        []struct {
				Name        string `json:"name"`
				DisplayName string `json:"displayName"`
				Value       any    `json:"value"`
			} `json:"fields"`
		} `json:"businessObjects"`
		TotalRows    json.Number `json:"totalRows"`
		HasError     bool        `json:"hasError"`
		ErrorCode    string      `json:"errorCode"`
		ErrorMessage string      `json:"errorMessage"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return Page{}, fmt.Errorf("the answer is not search results: %v", err)
	}
	if raw.HasError {
		return Page{}, fmt.Errorf("Cherwell reports an error: %s %s", raw.ErrorCode, raw.ErrorMessage)
	}
	var pg Page
	if raw.TotalRows != "" {
		n, err := raw.TotalRows.Int64()
		if err != nil || n < 0 {
			return Page{}, fmt.Errorf("totalRows: %q is not a count", raw.TotalRows)
		}
		pg.TotalRows, pg.Counted = n, true
	}
	for _, o := range raw.BusinessObjects {
		if o.HasError {
			pg.Failed = append(pg.Failed, fmt.Sprintf("%s: %s", orDefault(o.BusObPublicID, o.BusObRecID), o.ErrorMessage))
			continue
		}
		rec := record{values: map[string]string{}, recID: o.BusObRecID, publicID: o.BusObPublicID}
		for _, f := range o.Fields {
			v := fieldText(f.Value)
			if f.Name != "" {
				rec.values[strings.ToLower(f.Name)] = v
			}
			if k := strings.ToLower(f.DisplayName); f.DisplayName != "" {
				if _, dup := rec.values[k]; !dup {
					rec.values[k] = v
				}
			}
		}
		pg.Objects = append(pg.Objects, rec)
	}
	return pg, nil
}

func fieldText(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

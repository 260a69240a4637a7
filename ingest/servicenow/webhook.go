package servicenow

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

const (
	source        = "servicenow"
	tableIncident = "incident"
	tableChange   = "change_request"
)

// Webhook decodes ServiceNow records. It is safe for concurrent use.
type Webhook struct {
	o   Options
	loc *time.Location
}

// New returns a Webhook for o, or the first problem with o.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("servicenow.time_zone: %w", err)
	}
	return &Webhook{o: o, loc: loc}, nil
}

// Source returns "servicenow".
func (w *Webhook) Source() string { return source }

// Verify accepts "Authorization: Basic" with the configured user and
// password, or "Authorization: Bearer" with the configured token.
func (w *Webhook) Verify(h http.Header, _ []byte) error {
	auth := h.Get("Authorization")
	if auth == "" {
		return fmt.Errorf("%w: no Authorization header", ingest.ErrUnauthorized)
	}
	scheme, cred, _ := strings.Cut(auth, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		if w.o.Token != "" && equal(cred, w.o.Token) {
			return nil
		}
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err == nil && w.o.Username != "" {
			u, p, _ := strings.Cut(string(raw), ":")
			// Both compared always, so timing does not tell which was wrong.
			uok, pok := equal(u, w.o.Username), equal(p, w.o.Password)
			if uok && pok {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: credentials do not match", ingest.ErrUnauthorized)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Parse decodes one record, or a {"result": ...} wrapper of one or more.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	recs, err := records(body)
	if err != nil {
		return nil, err
	}
	var out []ingest.Event
	var ignored []error
	var bad ingest.ItemErrors
	for i, r := range recs {
		evs, err := w.parseRecord(r)
		if errors.Is(err, ingest.ErrIgnored) {
			ignored = append(ignored, err)
			continue
		}
		if err != nil {
			if len(recs) == 1 {
				return nil, err
			}
			item := r.path
			if item == "" {
				item = fmt.Sprintf("record %d", i)
			}
			bad = append(bad, ingest.ItemError{Item: item, Err: err})
			continue
		}
		out = append(out, evs...)
	}
	if len(bad) > 0 {
		return ingest.Partial(out, bad)
	}
	if len(out) == 0 {
		if len(ignored) == 1 {
			return nil, ignored[0]
		}
		reasons := make([]string, len(ignored))
		for i, e := range ignored {
			reasons[i] = strings.TrimPrefix(e.Error(), ingest.ErrIgnored.Error()+": ")
		}
		return nil, fmt.Errorf("%w: %s", ingest.ErrIgnored, strings.Join(reasons, "; "))
	}
	return out, nil
}

// record is one Table API record: field name → value.
type record struct {
	path   string // "result[0]", for error messages
	fields map[string]value
}

// value is a field as ServiceNow sends it: plain, or a display/value pair.
type value struct {
	v, d string // value and display value (d is v for plain values)
	pair bool   // the value half came from a display/value pair (UTC for dates)
}

func records(body []byte) ([]record, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: empty body", ingest.ErrPayload)
	}
	var top json.RawMessage = body
	path := ""
	if body[0] == '{' {
		var wrap struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(body, &wrap); err != nil {
			return nil, fmt.Errorf("%w: not a JSON object: %v", ingest.ErrPayload, err)
		}
		if len(wrap.Result) > 0 && string(wrap.Result) != "null" {
			top, path = wrap.Result, "result"
		}
	}
	var raws []json.RawMessage
	t := bytes.TrimSpace(top)
	if len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &raws); err != nil {
			return nil, fmt.Errorf("%w: %s: not an array of records: %v", ingest.ErrPayload, orBody(path), err)
		}
		if len(raws) == 0 {
			return nil, fmt.Errorf("%w: %s is an empty array", ingest.ErrIgnored, orBody(path))
		}
	} else {
		raws = []json.RawMessage{t}
	}
	out := make([]record, 0, len(raws))
	for i, raw := range raws {
		p := path
		if len(raws) > 1 || (len(t) > 0 && t[0] == '[') {
			p = fmt.Sprintf("%s[%d]", path, i)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			return nil, fmt.Errorf("%w: %s: a record must be a JSON object", ingest.ErrPayload, orBody(p))
		}
		r := record{path: p, fields: make(map[string]value, len(m))}
		for k, v := range m {
			r.fields[k] = decodeValue(v)
		}
		out = append(out, r)
	}
	return out, nil
}

func orBody(p string) string {
	if p == "" {
		return "body"
	}
	return p
}

// decodeValue reads a plain value or a {"display_value", "value"} pair
// ({"link", "value"} for references without display values). Numbers are
// kept as their shortest text, so 4.0 is "4".
func decodeValue(raw json.RawMessage) value {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var p struct {
			Value   json.RawMessage `json:"value"`
			Display json.RawMessage `json:"display_value"`
		}
		if json.Unmarshal(raw, &p) != nil {
			return value{}
		}
		v := scalar(p.Value)
		return value{v: v, d: scalar(p.Display), pair: true}
	}
	s := scalar(raw)
	return value{v: s, d: s}
}

func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case 't', 'f':
		return string(raw)
	case '{', '[':
		return ""
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return ""
	}
	if f, err := n.Float64(); err == nil && f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return n.String()
}

// val is the field's value; disp its display value, or the value when
// there is none.
func (r record) val(name string) string { return r.fields[name].v }

func (r record) disp(name string) string {
	f := r.fields[name]
	if f.d != "" {
		return f.d
	}
	return f.v
}

// time reads a date field: the value of a pair is UTC (ServiceNow's
// internal format); a plain string, or a display value with no value, is in
// the configured zone. ok is false when the field is empty.
func (w *Webhook) time(r record, name string) (t time.Time, ok bool, err error) {
	f := r.fields[name]
	s, loc := f.v, w.loc
	if f.pair {
		loc = time.UTC
		if s == "" {
			s, loc = f.d, w.loc
		}
	}
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err = parseTime(s, loc)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%w: %s.%s: %v", ingest.ErrPayload, orBody(r.path), name, err)
	}
	return t, true, nil
}

// parseTime reads "2006-01-02 15:04:05" in loc, or RFC 3339 with an
// offset (which Flow Designer's ISO output carries).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a ServiceNow date-time (2006-01-02 15:04:05)", s)
	}
	return t, nil
}

// firstTime returns the first non-empty date among names.
func (w *Webhook) firstTime(r record, names ...string) (time.Time, string, error) {
	for _, n := range names {
		t, ok, err := w.time(r, n)
		if err != nil {
			return time.Time{}, "", err
		}
		if ok {
			return t, n, nil
		}
	}
	return time.Time{}, "", nil
}

func (w *Webhook) parseRecord(r record) ([]ingest.Event, error) {
	number := r.val("number")
	if number == "" {
		number = r.disp("number")
	}
	table := r.val("sys_class_name")
	if table == "" {
		switch up := strings.ToUpper(number); {
		case strings.HasPrefix(up, "INC"):
			table = tableIncident
		case strings.HasPrefix(up, "CHG"):
			table = tableChange
		default:
			table = w.o.Table
		}
	}
	if table != tableIncident && table != tableChange {
		if table == "" {
			return nil, fmt.Errorf("%w: %s: no sys_class_name and no servicenow.table configured", ingest.ErrIgnored, orBody(r.path))
		}
		return nil, fmt.Errorf("%w: %s: table %q is neither incident nor change_request", ingest.ErrIgnored, orBody(r.path), table)
	}
	if number == "" {
		return nil, fmt.Errorf("%w: %s.number: missing", ingest.ErrPayload, orBody(r.path))
	}
	var evs []ingest.Event
	var err error
	if table == tableIncident {
		evs, err = w.incident(r, number)
	} else {
		evs, err = w.change(r, number)
	}
	if err != nil {
		return nil, err
	}
	for i := range evs {
		evs[i].Normalize()
		if err := evs[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s (%s): %v", ingest.ErrPayload, orBody(r.path), evs[i].Type, err)
		}
	}
	return evs, nil
}

// base is an event with what every event of the record carries.
func (w *Webhook) base(r record, number, typ string, t time.Time) ingest.Event {
	e := ingest.Event{
		Source:     source,
		Type:       typ,
		Time:       t,
		Subject:    number,
		Attributes: map[string]string{},
	}
	if g := r.disp("assignment_group"); g != "" {
		e.Attributes["assignment_group"] = g
	}
	if id := r.val("sys_id"); id != "" {
		e.Attributes["sys_id"] = id
	}
	if w.o.DeploymentField != "" {
		if d := r.disp(w.o.DeploymentField); d != "" {
			e.Links = map[string]string{"deployment": d}
		}
	}
	return e
}

// service maps cmdb_ci, then business_service, to a service: by display
// value, or by sys_id when only the value is sent.
func (w *Webhook) service(r record) string {
	var fallback string
	for _, name := range []string{"cmdb_ci", "business_service"} {
		f := r.fields[name]
		if f.pair && f.d != "" || !f.pair && f.v != "" {
			d := f.d
			if s, ok := w.o.CIServices[d]; ok {
				return s
			}
			if s, ok := w.o.CIServices[f.v]; ok {
				return s
			}
			return d
		}
		if f.v != "" {
			if s, ok := w.o.CIServices[f.v]; ok {
				return s
			}
			if fallback == "" {
				// Only a sys_id: better than nothing, and mappable later
				// through ci_services (payloads are kept for re-derivation).
				fallback = f.v
			}
		}
	}
	if fallback != "" {
		return fallback
	}
	return w.o.DefaultService
}

func fold(list []string, s string) bool {
	for _, v := range list {
		if s != "" && strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

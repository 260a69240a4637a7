package mapping

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

// maxItems bounds the events of one payload.
const maxItems = 1000

// Webhook applies one Mapping. It is safe for concurrent use.
type Webhook struct {
	name   string
	m      Mapping
	loc    *time.Location
	typ    path
	items  path
	fields map[string]path
}

// New compiles o's mapping, or returns the first problem with o.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	w := &Webhook{name: o.Name, m: o.Mapping, loc: time.UTC, fields: map[string]path{}}
	if o.Mapping.TimeZone != "" {
		w.loc, _ = time.LoadLocation(o.Mapping.TimeZone) // checked by Validate
	}
	// Validate compiled every path already; errors here cannot happen.
	if o.Mapping.Type.Path != "" {
		w.typ, _ = compile(o.Mapping.Type.Path)
	}
	if o.Mapping.Items != "" {
		w.items, _ = compile(o.Mapping.Items)
	}
	for name, f := range o.Mapping.Fields {
		if f.Path != "" {
			w.fields[name], _ = compile(f.Path)
		}
	}
	return w, nil
}

// Source returns the mapping's name.
func (w *Webhook) Source() string { return w.name }

// Verify checks the request as the mapping's auth says.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	a := w.m.Auth
	ok := false
	switch a.Kind {
	case "header":
		ok = equal(h.Get(a.Header), a.Secret)
	case "bearer":
		b, has := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
		ok = has && equal(strings.TrimSpace(b), a.Secret)
	case "hmac":
		got, has := strings.CutPrefix(strings.TrimSpace(h.Get(a.Header)), a.Prefix)
		m := hmac.New(sha256.New, []byte(a.Secret))
		m.Write(body)
		var sig []byte
		var err error
		if a.Encoding == "base64" {
			sig, err = base64.StdEncoding.DecodeString(got)
		} else {
			sig, err = hex.DecodeString(got)
		}
		ok = has && got != "" && err == nil && hmac.Equal(sig, m.Sum(nil))
	case "basic":
		c, has := strings.CutPrefix(h.Get("Authorization"), "Basic ")
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c))
		u, p, _ := strings.Cut(string(raw), ":")
		uok, pok := equal(u, a.Username), equal(p, a.Password)
		ok = has && err == nil && uok && pok
	}
	if !ok {
		return fmt.Errorf("%w: %s auth of mapping %s failed", ingest.ErrUnauthorized, a.Kind, w.name)
	}
	return nil
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Parse applies the mapping to each record of the body.
func (w *Webhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ingest.ErrPayload, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: more than one JSON value in the body", ingest.ErrPayload)
	}
	recs := []any{doc}
	where := "body"
	if w.items != nil {
		where = w.m.Items
		arr, ok := w.items.get(doc).([]any)
		if !ok {
			return nil, fmt.Errorf("%w: items: %s is not an array", ingest.ErrPayload, w.m.Items)
		}
		recs = arr
	} else if arr, ok := doc.([]any); ok {
		recs = arr
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: %s has no records", ingest.ErrIgnored, where)
	}
	if len(recs) > maxItems {
		return nil, fmt.Errorf("%w: %s has %d records (at most %d)", ingest.ErrPayload, where, len(recs), maxItems)
	}
	var out []ingest.Event
	var ignored []string
	for i, r := range recs {
		e, err := w.event(r)
		if err != nil {
			if len(recs) > 1 {
				err = fmt.Errorf("%s[%d]: %w", where, i, err)
			}
			if isIgnored(err) {
				ignored = append(ignored, err.Error())
				continue
			}
			return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ingest.ErrIgnored, strings.Join(ignored, "; "))
	}
	return out, nil
}

// ignoredError marks a record the mapping does not want.
type ignoredError struct{ reason string }

func (e *ignoredError) Error() string { return e.reason }

func isIgnored(err error) bool {
	for err != nil {
		if _, ok := err.(*ignoredError); ok {
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// value is a field's translated text, and whether the field is mapped.
func (w *Webhook) value(rec any, name string) (string, any) {
	f, ok := w.m.Fields[name]
	if !ok {
		return "", nil
	}
	if f.Value != "" {
		return f.Value, f.Value
	}
	raw := w.fields[name].get(rec)
	s := text(raw)
	if v, ok := f.Values[s]; ok {
		return v, raw
	}
	if s == "" || (len(f.Values) > 0 && f.Default != "") {
		if f.Default != "" {
			return f.Default, raw
		}
	}
	return s, raw
}

func (w *Webhook) event(rec any) (ingest.Event, error) {
	e := ingest.Event{Source: w.name, Type: w.m.Type.Value}
	if w.typ != nil {
		raw := text(w.typ.get(rec))
		t, ok := w.m.Type.Values[raw]
		if !ok {
			return e, &ignoredError{fmt.Sprintf("type: value %q of %s is not mapped to a type", raw, w.m.Type.Path)}
		}
		e.Type = t
	}
	e.Subject, _ = w.value(rec, "subject")
	if e.Subject == "" {
		return e, fmt.Errorf("fields.subject: %s yields no value", w.m.Fields["subject"].Path)
	}
	ts, raw := w.value(rec, "time")
	t, err := w.parseTime(ts, raw)
	if err != nil {
		return e, fmt.Errorf("fields.time: %s: %v", w.m.Fields["time"].Path, err)
	}
	e.Time = t
	for name, dst := range map[string]*string{
		"service": &e.Service, "environment": &e.Environment, "repo": &e.Repo, "team": &e.Team,
		"product": &e.Product, "outcome": &e.Outcome, "kind": &e.Kind, "priority": &e.Priority,
	} {
		*dst, _ = w.value(rec, name)
	}
	if s, _ := w.value(rec, "automated"); s != "" {
		switch strings.ToLower(s) {
		case "true", "yes", "1", "y":
			e.Automated = true
		case "false", "no", "0", "n":
		default:
			return e, fmt.Errorf("fields.automated: %q is not true or false (map it with values)", s)
		}
	}
	if _, raw := w.value(rec, "commits"); raw != nil {
		e.Commits = commits(raw)
	}
	for name := range w.m.Fields {
		k, sub, _ := strings.Cut(name, ".")
		if k != "links" && k != "attributes" {
			continue
		}
		v, _ := w.value(rec, name)
		if v == "" {
			continue
		}
		m := &e.Attributes
		if k == "links" {
			m = &e.Links
		}
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[sub] = v
	}
	e.ID, _ = w.value(rec, "id")
	if e.ID == "" {
		e.ID = e.Subject + ":" + e.Type + ":" + t.UTC().Format(time.RFC3339)
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		return e, err
	}
	return e, nil
}

func (w *Webhook) parseTime(s string, raw any) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("yields no value")
	}
	switch w.m.TimeFormat {
	case "", "rfc3339":
		if t, err := ingest.ParseTime(s); err == nil {
			return t, nil
		}
		// A time without an offset is read in time_zone only when one is
		// configured; otherwise it is rejected, never guessed.
		if w.m.TimeZone != "" {
			if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, w.loc); err == nil {
				return t, nil
			}
		}
		return ingest.ParseTime(s)
	case "unix", "unix_ms":
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n <= 0 || n > 1e15 {
			return time.Time{}, fmt.Errorf("%q is not a %s time", s, w.m.TimeFormat)
		}
		if w.m.TimeFormat == "unix_ms" {
			return time.UnixMilli(int64(n)), nil
		}
		return time.Unix(int64(n), int64((n-float64(int64(n)))*1e9)), nil
	}
	t, err := time.ParseInLocation(w.m.TimeFormat, s, w.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q does not match time_format %q", s, w.m.TimeFormat)
	}
	return t, nil
}

// commits accepts an array of strings (or of objects with an id) or one
// string of ids separated by commas or spaces.
func commits(raw any) []string {
	var out []string
	switch x := raw.(type) {
	case []any:
		for _, el := range x {
			if m, ok := el.(map[string]any); ok {
				el = m["id"]
			}
			if s := text(el); s != "" {
				out = append(out, s)
			}
		}
	default:
		out = strings.FieldsFunc(text(raw), func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	}
	return out
}

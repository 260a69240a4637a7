package ingest

import (
	"bytes"
	"encoding/json"

	"errors"
	"fmt"
	gojson "github.com/goccy/go-json"
	"strings"
	"time"
)

// Item is one element of a request body: an array item or an NDJSON line,
// decoded on its own so a bad one never spoils its neighbours.
type Item struct {
	Index int             // position in the array, or line number - 1 for NDJSON
	Raw   json.RawMessage // the item's own bytes, kept as the raw payload
	Err   error           // set when the item is not even a JSON value
}

// ErrBody is returned when a body cannot be split into items at all.
var ErrBody = errors.New("unreadable body")

// SplitBody splits a request body into items. A body that starts with '['
// is a JSON array; anything else is NDJSON (one JSON value a line; blank
// lines are skipped). An NDJSON line that is not JSON is an item with Err
// set; a JSON array that does not parse is an ErrBody, because its items
// cannot be told apart.
func SplitBody(body []byte) ([]Item, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: empty body (send a JSON array or NDJSON of events)", ErrBody)
	}
	if trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, fmt.Errorf("%w: not a JSON array: %s", ErrBody, jsonErr(err))
		}
		if len(raws) == 0 {
			return nil, fmt.Errorf("%w: empty array (no events)", ErrBody)
		}
		items := make([]Item, len(raws))
		for i, r := range raws {
			items[i] = Item{Index: i, Raw: r}
		}
		return items, nil
	}
	if trimmed[0] == '{' && bytes.IndexByte(trimmed, '\n') >= 0 && json.Valid(trimmed) {
		// One pretty-printed event, not NDJSON: take it whole.
		return []Item{{Index: 0, Raw: json.RawMessage(trimmed)}}, nil
	}
	var items []Item
	line := 0
	for len(body) > 0 {
		var chunk []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			chunk, body = body[:i], body[i+1:]
		} else {
			chunk, body = body, nil
		}
		idx := line
		line++
		chunk = bytes.TrimSpace(chunk)
		if len(chunk) == 0 {
			continue
		}
		it := Item{Index: idx, Raw: json.RawMessage(chunk)}
		if !json.Valid(chunk) {
			var v any
			it.Err = fmt.Errorf("line %d is not JSON: %s", idx+1, jsonErr(json.Unmarshal(chunk, &v)))
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: no events in body", ErrBody)
	}
	return items, nil
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if err == nil {
		return "invalid JSON"
	}
	return err.Error()
}

// knownFields are the generic format's top-level fields; any other field is
// kept in attributes, as EVENTS.md says.
var knownFields = map[string]bool{
	"id": true, "source": true, "type": true, "time": true, "subject": true, "service": true,
	"repo": true, "environment": true, "team": true, "product": true, "outcome": true,
	"kind": true, "priority": true, "commits": true, "automated": true, "links": true,
	"attributes": true,
}

// wireEvent is the generic format with exact JSON types: the fast path of
// DecodeEvent for well-formed events.
type wireEvent struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	Type        string            `json:"type"`
	Time        string            `json:"time"`
	Subject     string            `json:"subject"`
	Service     string            `json:"service"`
	Repo        string            `json:"repo"`
	Environment string            `json:"environment"`
	Team        string            `json:"team"`
	Product     string            `json:"product"`
	Outcome     string            `json:"outcome"`
	Kind        string            `json:"kind"`
	Priority    string            `json:"priority"`
	Commits     []string          `json:"commits"`
	Automated   bool              `json:"automated"`
	Links       map[string]string `json:"links"`
	Attributes  map[string]string `json:"attributes"`
}

// DecodeEvent decodes one generic event, checking every field's JSON type
// and naming the field in any error. It normalises and validates the result.
func DecodeEvent(raw []byte) (Event, error) {
	// Fast path: a well-typed event with only known fields decodes in one
	// pass. Anything else (unknown fields kept as attributes, numeric ids,
	// nulls, type errors) takes the checked path, which names the field.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var w wireEvent
	if err := dec.Decode(&w); err == nil && !dec.More() && !bytes.Contains(raw, []byte("null")) {
		return w.event()
	}
	return decodeChecked(raw)
}

func (w *wireEvent) event() (Event, error) {
	e := Event{
		ID: strings.TrimSpace(w.ID), Source: strings.TrimSpace(w.Source), Type: strings.TrimSpace(w.Type),
		Subject: strings.TrimSpace(w.Subject), Service: strings.TrimSpace(w.Service), Repo: strings.TrimSpace(w.Repo),
		Environment: strings.TrimSpace(w.Environment), Team: strings.TrimSpace(w.Team), Product: strings.TrimSpace(w.Product),
		Outcome: strings.TrimSpace(w.Outcome), Kind: strings.TrimSpace(w.Kind), Priority: strings.TrimSpace(w.Priority),
		Commits: w.Commits, Automated: w.Automated, Links: w.Links, Attributes: w.Attributes,
	}
	if w.Time != "" {
		t, err := ParseTime(w.Time)
		if err != nil {
			return Event{}, &FieldError{"time", err.Error()}
		}
		e.Time = t
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Decoded is one item of a body after decoding: an event, or why not.
type Decoded struct {
	Index    int
	ID       string          // the item's id as sent, for rejections
	Raw      json.RawMessage // nil on the fast path (the item was a plain generic event)
	Event    Event
	Warnings []string
	Err      error
}

// DecodeBody splits and decodes a whole body: generic events, CDEvents,
// JSON arrays and NDJSON. A JSON array of plain generic events (the common
// case for scripts and bulk loads) decodes in a single pass; anything else
// is decoded item by item so each bad item is rejected on its own with an
// error naming its field.
func DecodeBody(body []byte) ([]Decoded, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 2 && trimmed[0] == '[' && !bytes.Contains(trimmed, []byte("null")) {
		// goccy/go-json (already gin's) decodes the well-formed common case
		// about twice as fast as encoding/json; BenchmarkDecodeBody shows it.
		dec := gojson.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		var ws []wireEvent
		if err := dec.Decode(&ws); err == nil && !dec.More() && len(ws) > 0 {
			out := make([]Decoded, len(ws))
			for i := range ws {
				out[i].Index, out[i].ID = i, ws[i].ID
				out[i].Event, out[i].Err = ws[i].event()
			}
			return out, nil
		}
	}
	items, err := SplitBody(body)
	if err != nil {
		return nil, err
	}
	out := make([]Decoded, len(items))
	for i, it := range items {
		d := Decoded{Index: it.Index, Raw: it.Raw, Err: it.Err}
		if d.Err == nil {
			if IsCDEvent(it.Raw) {
				d.Event, d.Warnings, d.Err = MapCDEvent(it.Raw)
			} else {
				d.Event, d.Err = DecodeEvent(it.Raw)
			}
		}
		out[i] = d
	}
	return out, nil
}

// decodeChecked is the field-by-field decoder.
func decodeChecked(raw []byte) (Event, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Event{}, fmt.Errorf("event must be a JSON object: %s", jsonErr(err))
	}
	// Field names match case-insensitively, as the fast path's decoder
	// matches them ("ID" is id): the same item decodes the same whatever
	// else it carries. An exact name wins over another spelling.
	for k, v := range fields {
		if lk := strings.ToLower(k); lk != k && knownFields[lk] {
			if _, exact := fields[lk]; !exact {
				fields[lk] = v
			}
			delete(fields, k)
		}
	}
	var e Event
	strs := map[string]*string{
		"id": &e.ID, "source": &e.Source, "type": &e.Type, "subject": &e.Subject,
		"service": &e.Service, "repo": &e.Repo, "environment": &e.Environment,
		"team": &e.Team, "product": &e.Product, "outcome": &e.Outcome, "kind": &e.Kind,
		"priority": &e.Priority,
	}
	for name, dst := range strs {
		v, ok := fields[name]
		if !ok || isNull(v) {
			continue
		}
		s, err := decodeString(v)
		if err != nil {
			// A numeric id or subject is common from scripts; accept it as text.
			if (name == "id" || name == "subject") && isNumber(v) {
				s = string(v)
			} else {
				return Event{}, &FieldError{name, "must be a string"}
			}
		}
		*dst = strings.TrimSpace(s)
	}
	if v, ok := fields["time"]; ok && !isNull(v) {
		s, err := decodeString(v)
		if err != nil {
			return Event{}, &FieldError{"time", "must be an RFC 3339 string with offset"}
		}
		t, err := ParseTime(s)
		if err != nil {
			return Event{}, &FieldError{"time", err.Error()}
		}
		e.Time = t
	}
	if v, ok := fields["commits"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &e.Commits); err != nil {
			return Event{}, &FieldError{"commits", "must be an array of strings"}
		}
	}
	if v, ok := fields["automated"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &e.Automated); err != nil {
			return Event{}, &FieldError{"automated", "must be true or false"}
		}
	}
	for name, dst := range map[string]*map[string]string{"links": &e.Links, "attributes": &e.Attributes} {
		v, ok := fields[name]
		if !ok || isNull(v) {
			continue
		}
		m, err := decodeStringMap(v)
		if err != nil {
			return Event{}, &FieldError{name, err.Error()}
		}
		*dst = m
	}
	for name, v := range fields {
		if knownFields[name] {
			continue
		}
		if e.Attributes == nil {
			e.Attributes = map[string]string{}
		}
		if _, taken := e.Attributes[name]; taken {
			continue
		}
		if s, err := decodeString(v); err == nil {
			e.Attributes[name] = s
		} else {
			e.Attributes[name] = string(v)
		}
	}
	e.Normalize()
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// decodeStringMap accepts an object whose values are strings, numbers or
// booleans (kept as their text): tools rarely agree on quoting.
func decodeStringMap(v json.RawMessage) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, errors.New("must be an object of string values")
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		if isNull(raw) {
			continue
		}
		if s, err := decodeString(raw); err == nil {
			out[k] = s
			continue
		}
		t := bytes.TrimSpace(raw)
		if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			return nil, fmt.Errorf("value of %q must be a string, not an object or array", k)
		}
		out[k] = string(t)
	}
	return out, nil
}

func decodeString(v json.RawMessage) (string, error) {
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func isNumber(v json.RawMessage) bool {
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	return d.Decode(&n) == nil
}

// ParseTime parses an RFC 3339 time that carries an offset. A time without
// one is rejected, never guessed.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if _, err2 := time.Parse("2006-01-02T15:04:05.999999999", s); err2 == nil {
			return time.Time{}, fmt.Errorf("%q has no UTC offset (add Z or +hh:mm)", s)
		}
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time with offset", s)
	}
	if t.Year() < 1971 || t.Year() > 2105 {
		return time.Time{}, fmt.Errorf("%q is out of range (1971..2105)", s)
	}
	return t, nil
}

package ingesttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

// ParseFunc parses one delivery, as ingest.Webhook.Parse does.
type ParseFunc func(h http.Header, body []byte) ([]ingest.Event, error)

// RenderFunc turns one payload into the text its golden file holds. name is
// the payload's file name without ".json"; h holds its headers file, if any.
type RenderFunc func(t *testing.T, name string, h http.Header, body []byte) []byte

// Payloads lists the payloads in dir: every *.json file but the
// *.golden.json ones. It fails tb when there are none.
func Payloads(tb testing.TB, dir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no payloads in %s", dir)
	}
	return out
}

// HeadersOf reads the headers file of payload (<name>.json →
// <name>.headers): one "Key: Value" a line, blank lines and # comments
// skipped. A missing file is no headers.
func HeadersOf(tb testing.TB, payload string) http.Header {
	tb.Helper()
	path := strings.TrimSuffix(payload, ".json") + ".headers"
	h := http.Header{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return h
	}
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			tb.Fatalf("%s: header line %q has no colon", path, line)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h
}

// Golden runs one subtest a payload in dir: it renders the payload with its
// headers and compares the text with <name>.golden.json, or rewrites that
// file when update is set (pass the package's -update flag value).
func Golden(t *testing.T, dir string, update bool, render RenderFunc) {
	t.Helper()
	for _, file := range Payloads(t, dir) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, name, HeadersOf(t, file), body)
			golden := strings.TrimSuffix(file, ".json") + ".golden.json"
			if update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test with -update in the package under test)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs from the parse; got:\n%s", golden, got)
			}
		})
	}
}

// Events renders with parse as {"events": [...]}, {"ignored": reason} or
// {"error": text}. An error that does not wrap ingest.ErrIgnored fails the
// test, and so does a second parse of the same body that renders otherwise
// (re-delivery must give the same events, ids included).
func Events(parse ParseFunc) RenderFunc {
	return func(t *testing.T, _ string, h http.Header, body []byte) []byte {
		t.Helper()
		evs, err := parse(h, body)
		if err != nil && !errors.Is(err, ingest.ErrIgnored) {
			t.Fatalf("Parse: %v", err)
		}
		got := EventsJSON(t, evs, err)
		again, err2 := parse(h, body)
		if !bytes.Equal(got, EventsJSON(t, again, err2)) {
			t.Fatal("a second Parse of the same body gave different events")
		}
		return got
	}
}

// EventsJSON is the text Events renders for one parse's outcome.
func EventsJSON(tb testing.TB, evs []ingest.Event, err error) []byte {
	tb.Helper()
	var v any = map[string]any{"events": evs}
	switch {
	case errors.Is(err, ingest.ErrIgnored):
		v = map[string]string{"ignored": err.Error()}
	case err != nil:
		v = map[string]string{"error": err.Error()}
	}
	return indent(tb, v)
}

// Result is what a golden file of Results holds: the delivery id, and the
// events or the reason the payload was ignored or rejected.
type Result struct {
	DeliveryID string         `json:"delivery_id,omitempty"`
	Events     []ingest.Event `json:"events,omitempty"`
	Ignored    string         `json:"ignored,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// Results renders a webhook's parse as a Result. Every error must wrap
// ingest.ErrIgnored or ingest.ErrPayload, every event must be valid and carry
// the webhook's source, and a second parse must give the same ids.
type Results struct {
	Webhook ingest.Webhook
	// DeliveryID gives the id a delivery is deduplicated on; nil asks the
	// webhook's ingest.DeliveryIDer, if it is one.
	DeliveryID func(h http.Header, body []byte) string
}

// Render is a RenderFunc for Golden.
func (r Results) Render(t *testing.T, _ string, h http.Header, body []byte) []byte {
	t.Helper()
	w := r.Webhook
	events, err := w.Parse(h, body)
	got := Result{Events: events}
	switch {
	case r.DeliveryID != nil:
		got.DeliveryID = r.DeliveryID(h, body)
	default:
		if d, ok := w.(ingest.DeliveryIDer); ok {
			got.DeliveryID = d.DeliveryID(h)
		}
	}
	switch {
	case errors.Is(err, ingest.ErrIgnored):
		got.Ignored = err.Error()
	case errors.Is(err, ingest.ErrPayload):
		got.Error = err.Error()
	case err != nil:
		t.Fatalf("error wraps neither ErrIgnored nor ErrPayload: %v", err)
	}
	for _, e := range events {
		if err := e.Validate(); err != nil {
			t.Errorf("event %s is not valid: %v", e.ID, err)
		}
		if e.Source != w.Source() {
			t.Errorf("event %s has source %q, want %q", e.ID, e.Source, w.Source())
		}
	}
	again, _ := w.Parse(h, body)
	if !SameIDs(events, again) {
		t.Errorf("a second parse of the same payload gave other ids")
	}
	return indent(t, got)
}

// SameIDs reports whether a and b hold the same event ids in the same order.
func SameIDs(a, b []ingest.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// CheckParse fails tb unless a parse's outcome is what every parser of
// outside input must give: an error wrapping ingest.ErrIgnored or
// ingest.ErrPayload, or only valid events. Fuzz targets call it.
func CheckParse(tb testing.TB, events []ingest.Event, err error) {
	tb.Helper()
	if err != nil {
		if !errors.Is(err, ingest.ErrIgnored) && !errors.Is(err, ingest.ErrPayload) {
			tb.Fatalf("error wraps neither ErrIgnored nor ErrPayload: %v", err)
		}
		return
	}
	for _, e := range events {
		if err := e.Validate(); err != nil {
			tb.Fatalf("invalid event %+v: %v", e, err)
		}
	}
}

func indent(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return append(b, '\n')
}

// Fuzz seeds f with every payload in dir and the extra bodies, then feeds
// parse arbitrary bodies (without headers) and holds each outcome to
// CheckParse.
func Fuzz(f *testing.F, dir string, parse ParseFunc, extra ...[]byte) {
	f.Helper()
	for _, p := range Payloads(f, dir) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range extra {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := parse(nil, body)
		CheckParse(t, evs, err)
	})
}

// FuzzContentType is Fuzz for parsers that read the Content-Type: it seeds
// f with every payload in dir under the Content-Type of its headers file,
// plus {} untyped and [] as application/json, and fuzzes (body,
// contentType) pairs, parsing each with the headers headers(contentType)
// gives.
func FuzzContentType(f *testing.F, dir string, headers func(contentType string) http.Header, parse ParseFunc) {
	f.Helper()
	for _, p := range Payloads(f, dir) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, HeadersOf(f, p).Get("Content-Type"))
	}
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`[]`), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		events, err := parse(headers(contentType), body)
		CheckParse(t, events, err)
	})
}

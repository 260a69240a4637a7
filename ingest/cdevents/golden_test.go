package cdevents

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/webhooks/cdevents")

const testdataDir = "../../testdata/webhooks/cdevents"

// result is what a golden file holds: the events, or the reason the payload
// was ignored or rejected.
type result struct {
	DeliveryID string         `json:"delivery_id,omitempty"`
	Events     []ingest.Event `json:"events,omitempty"`
	Ignored    string         `json:"ignored,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// readHeaders reads <name>.headers (one "Key: Value" a line, # comments);
// a missing file is no headers.
func readHeaders(tb testing.TB, path string) http.Header {
	tb.Helper()
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

func payloads(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(testdataDir, "*.json"))
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
		tb.Fatalf("no payloads in %s", testdataDir)
	}
	return out
}

func TestGolden(t *testing.T) {
	w, err := New(goldenOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range payloads(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			h := readHeaders(t, strings.TrimSuffix(file, ".json")+".headers")
			events, err := w.Parse(h, body)
			got := result{DeliveryID: deliveryID(w, h), Events: events}
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
			if !sameIDs(events, again) {
				t.Errorf("a second parse of the same payload gave other ids")
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			gotJSON = append(gotJSON, '\n')
			golden := strings.TrimSuffix(file, ".json") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ingest/cdevents/ -update)", err)
			}
			if !bytes.Equal(want, gotJSON) {
				t.Errorf("%s differs from the parse; got:\n%s", golden, gotJSON)
			}
		})
	}
}

func deliveryID(w ingest.Webhook, h http.Header) string {
	if d, ok := w.(ingest.DeliveryIDer); ok {
		return d.DeliveryID(h)
	}
	return ""
}

func sameIDs(a, b []ingest.Event) bool {
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

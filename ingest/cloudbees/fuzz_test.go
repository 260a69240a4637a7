package cloudbees

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

// FuzzParse checks that Parse never panics, that every error wraps
// ErrIgnored or ErrPayload, and that every event it returns is valid.
func FuzzParse(f *testing.F) {
	for _, p := range payloads(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, readHeaders(f, strings.TrimSuffix(p, ".json")+".headers").Get("Content-Type"))
	}
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`[]`), "application/json")
	w, err := New(goldenOptions)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		h := fuzzHeaders(contentType)
		events, err := w.Parse(h, body)
		if err != nil {
			if !errors.Is(err, ingest.ErrIgnored) && !errors.Is(err, ingest.ErrPayload) {
				t.Fatalf("error wraps neither ErrIgnored nor ErrPayload: %v", err)
			}
			return
		}
		for _, e := range events {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event %+v: %v", e, err)
			}
		}
	})
}

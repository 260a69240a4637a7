package ingest

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeEvent: any input either decodes to a valid event or gives an
// error; never a panic. A decoded event survives a JSON round trip.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(benchEvent)
	f.Add([]byte(`{"id":1,"source":"s","type":"build.finished","time":"2026-01-01T00:00:00+05:30","subject":2,"outcome":"failure","extra":{"a":1}}`))
	f.Add([]byte(`{"id":"a","source":"s","type":"incident.opened","time":"2026-01-01T00:00:00Z","subject":"x","service":"y","links":{"deployment":null},"attributes":{"n":3,"b":true}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := DecodeEvent(raw)
		if err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("decoded an invalid event: %v", err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := DecodeEvent(b)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		b2, _ := json.Marshal(e2)
		if string(b) != string(b2) {
			t.Fatalf("round trip changed the event:\n%s\n%s", b, b2)
		}
	})
}

// FuzzSplitBody: splitting never panics, and items keep their own bytes.
func FuzzSplitBody(f *testing.F) {
	f.Add([]byte("[" + string(benchEvent) + "]"))
	f.Add([]byte(string(benchEvent) + "\n{bad\n\n" + string(benchEvent)))
	f.Add([]byte("   "))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := SplitBody(body)
		if err != nil {
			return
		}
		if len(items) == 0 {
			t.Fatal("no items and no error")
		}
		for _, it := range items {
			if it.Err == nil && !json.Valid(it.Raw) {
				t.Fatalf("item %d is not JSON but has no error: %q", it.Index, it.Raw)
			}
		}
	})
}

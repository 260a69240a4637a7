package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

var benchEvent = []byte(`{"id":"gh-deploy-8812","source":"github","type":"deployment.finished","time":"2026-11-20T10:04:00Z","subject":"8812","service":"checkout","environment":"production","outcome":"success","commits":["9f1c2e0","77ab310"],"links":{"change_request":"CHG0030001"},"attributes":{"pipeline":"deploy-prod"}}`)

// BenchmarkDecodeEvent measures the checked decoder against plain
// encoding/json into the struct (the baseline: no field-naming errors, no
// validation) in the same run.
func BenchmarkDecodeEvent(b *testing.B) {
	b.Run("baseline-json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e Event
			if err := json.Unmarshal(benchEvent, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeEvent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeEvent(benchEvent); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSplitBody(b *testing.B) {
	body := []byte("[")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, benchEvent...)
	}
	body = append(body, ']')
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := SplitBody(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFastAndCheckedPathsAgree: both decoders give the same event.
func TestFastAndCheckedPathsAgree(t *testing.T) {
	a, err := DecodeEvent(benchEvent)
	if err != nil {
		t.Fatal(err)
	}
	b, err := decodeChecked(benchEvent)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("fast %s\nchecked %s", ja, jb)
	}
}

// BenchmarkDecodeBody decodes a 1,000-event array the way POST
// /api/v1/events does, against plain encoding/json into []Event (no
// checks) as the baseline, in the same run.
func BenchmarkDecodeBody(b *testing.B) {
	body := []byte("[")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, bytes.Replace(benchEvent, []byte(`"gh-deploy-8812"`), []byte(fmt.Sprintf(`"gh-deploy-%d"`, i)), 1)...)
	}
	body = append(body, ']')
	b.Run("baseline-json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var evs []Event
			if err := json.Unmarshal(body, &evs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeBody", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			ds, err := DecodeBody(body)
			if err != nil || len(ds) != 1000 || ds[0].Err != nil {
				b.Fatal(err)
			}
		}
	})
}

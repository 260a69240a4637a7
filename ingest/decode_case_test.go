package ingest

import (
	"reflect"
	"testing"
)

// TestDecodeEventCaseInsensitiveNames: the fast path (known fields only)
// and the checked path (here taken because of an unknown field) read
// differently spelled field names alike.
func TestDecodeEventCaseInsensitiveNames(t *testing.T) {
	fast := []byte(`{"ID":"ci1","Source":"ci","TYPE":"build.finished","Time":"2026-11-20T10:04:00Z","Subject":"b1","Outcome":"success"}`)
	checked := []byte(`{"ID":"ci1","Source":"ci","TYPE":"build.finished","Time":"2026-11-20T10:04:00Z","Subject":"b1","Outcome":"success","ticket":"T-1"}`)
	a, err := DecodeEvent(fast)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeEvent(checked)
	if err != nil {
		t.Fatalf("the checked path refused what the fast path took: %v", err)
	}
	if b.Attributes["ticket"] != "T-1" {
		t.Errorf("attributes %v", b.Attributes)
	}
	b.Attributes = nil
	if !reflect.DeepEqual(a, b) {
		t.Errorf("fast %+v\nchecked %+v", a, b)
	}
	// An exact name wins over another spelling.
	e, err := DecodeEvent([]byte(`{"id":"exact","Id":"other","source":"ci","type":"build.finished","time":"2026-11-20T10:04:00Z","subject":"b1","outcome":"success","x":null}`))
	if err != nil || e.ID != "exact" {
		t.Errorf("id %q, %v", e.ID, err)
	}
}

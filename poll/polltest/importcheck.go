package polltest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

// ImportMatches runs im on everything since since, from a fresh
// checkpoint, and fails tb unless it yields exactly want (compared as
// JSON): an importer's events must be its webhook's, ids included.
func ImportMatches(tb testing.TB, im poll.Importer, since time.Time, want []ingest.Event) {
	tb.Helper()
	var got Collector
	if err := im.Import(context.Background(), poll.Request{Since: since}, got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
		tb.Fatal(err)
	}
	gb, _ := json.MarshalIndent(got.Events(), "", " ")
	wb, _ := json.MarshalIndent(want, "", " ")
	if string(gb) != string(wb) {
		tb.Fatalf("imported\n%s\nwebhook\n%s", gb, wb)
	}
}

// FuzzImport runs im since since on whatever its client answers (a
// Transport of arbitrary pages): the import may fail, but must not panic,
// and every event it yields must be valid.
func FuzzImport(tb testing.TB, im poll.Importer, since time.Time) {
	tb.Helper()
	var got Collector
	_ = im.Import(context.Background(), poll.Request{Since: since}, got.Sink, poll.NewMemoryCheckpoint("f"))
	got.CheckValid(tb)
}

package digitalai

import (
	"testing"

	"github.com/throughline/throughline/ingest/ingesttest"
)

// FuzzParse checks that Parse never panics, that every error wraps
// ErrIgnored or ErrPayload, and that every event it returns is valid.
func FuzzParse(f *testing.F) {
	w, err := New(goldenOptions)
	if err != nil {
		f.Fatal(err)
	}
	ingesttest.FuzzContentType(f, testdataDir, fuzzHeaders, w.Parse)
}

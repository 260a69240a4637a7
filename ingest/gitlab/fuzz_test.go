package gitlab

import (
	"net/http"
	"os"
	"testing"

	"github.com/throughline/throughline/ingest/ingesttest"
)

// FuzzParse feeds arbitrary bodies under every handled event name: Parse
// must never panic, must fail only with ErrIgnored or ErrPayload, and every
// event it returns must be valid.
func FuzzParse(f *testing.F) {
	for _, file := range ingesttest.Payloads(f, testdataDir) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		h := ingesttest.HeadersOf(f, file)
		f.Add(h.Get("X-Gitlab-Event"), ingesttest.SmallSeed(body))
	}
	f.Add("Push Hook", []byte(`{"object_kind":"push","commits":[{"id":"a","timestamp":"2024-01-01 00:00:00 +0100"}],"project":{"path_with_namespace":"a/b"}}`))
	f.Add("Issue Hook", []byte(`{"object_kind":"issue","project":{"path_with_namespace":"a/b"},"object_attributes":{"action":"update","issue_type":"incident"},"changes":{"labels":{"current":[{"title":"incident"}]}}}`))
	w, err := New(Options{DeployWorkflows: []string{"*"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		h := http.Header{}
		h.Set("X-Gitlab-Event", name)
		events, err := w.Parse(h, body)
		ingesttest.CheckParse(t, events, err)
	})
}

package bitbucket

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
		f.Add(h.Get("X-Event-Key"), ingesttest.SmallSeed(body))
	}
	f.Add("repo:push", []byte(`{"repository":{"full_name":"a/b"},"push":{"changes":[{"new":null,"commits":[{"hash":"a","date":"2024-01-01T00:00:00+00:00"}]}]}}`))
	f.Add("repo:commit_status_updated", []byte(`{"repository":{"full_name":"a/b"},"commit_status":{"key":"k","state":"FAILED","updated_on":"2024-01-01T00:00:00Z","commit":{"hash":"abc"}}}`))
	w, err := New(Options{DeployWorkflows: []string{"*"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		h := http.Header{}
		h.Set("X-Event-Key", name)
		events, err := w.Parse(h, body)
		ingesttest.CheckParse(t, events, err)
	})
}

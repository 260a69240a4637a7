package github

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
		f.Add(h.Get("X-GitHub-Event"), ingesttest.SmallSeed(body))
	}
	f.Add("push", []byte(`{"commits":[{"id":"a","timestamp":"2024-01-01T00:00:00Z"}],"repository":{"full_name":"a/b"}}`))
	f.Add("issues", []byte(`{"action":"labeled","label":{"name":"incident"},"issue":{"labels":[{"name":"incident"}]}}`))
	w, err := New(Options{DeployWorkflows: []string{"*"}, ReleasesAreDeployments: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		h := http.Header{}
		h.Set("X-GitHub-Event", name)
		events, err := w.Parse(h, body)
		ingesttest.CheckParse(t, events, err)
	})
}

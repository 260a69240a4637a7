package azuredevops

import (
	"net/http"
	"os"
	"testing"

	"github.com/throughline/throughline/ingest/ingesttest"
)

// FuzzParse feeds arbitrary bodies: Parse
// must never panic, must fail only with ErrIgnored or ErrPayload, and every
// event it returns must be valid.
func FuzzParse(f *testing.F) {
	for _, file := range ingesttest.Payloads(f, testdataDir) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ingesttest.SmallSeed(body))
	}
	f.Add([]byte(`{"eventType":"git.push","resource":{"repository":{"name":"r"},"commits":[{"commitId":"a","author":{"date":"2024-01-01T00:00:00Z"}}]}}`))
	f.Add([]byte(`{"eventType":"ms.vss-release.deployment-completed-event","createdDate":"2024-01-01T00:00:00Z","resource":{"environment":{"id":1,"name":"prod","status":"failed"}}}`))
	w, err := New(Options{DeployWorkflows: []string{"*"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := w.Parse(http.Header{}, body)
		ingesttest.CheckParse(t, events, err)
	})
}

package azuredevops

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

// FuzzParse feeds arbitrary bodies: Parse
// must never panic, must fail only with ErrIgnored or ErrPayload, and every
// event it returns must be valid.
func FuzzParse(f *testing.F) {
	for _, file := range payloads(f) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(smallSeed(body))
	}
	f.Add([]byte(`{"eventType":"git.push","resource":{"repository":{"name":"r"},"commits":[{"commitId":"a","author":{"date":"2024-01-01T00:00:00Z"}}]}}`))
	f.Add([]byte(`{"eventType":"ms.vss-release.deployment-completed-event","createdDate":"2024-01-01T00:00:00Z","resource":{"environment":{"id":1,"name":"prod","status":"failed"}}}`))
	w, err := New(Options{DeployWorkflows: []string{"*"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := w.Parse(http.Header{}, body)
		if err != nil {
			if !errors.Is(err, ingest.ErrIgnored) && !errors.Is(err, ingest.ErrPayload) {
				t.Fatalf("error %v wraps neither ErrIgnored nor ErrPayload", err)
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

// smallSeed drops what no parser reads (URLs, owners, senders, long texts)
// from a real payload. Whole payloads are tens of kilobytes, and the fuzzer
// spends its time minimising such inputs instead of mutating them.
func smallSeed(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	b, err := json.Marshal(prune(v))
	if err != nil {
		return body
	}
	return b
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			switch {
			case strings.HasSuffix(k, "url"), strings.HasSuffix(k, "_links"), k == "links", k == "node_id",
				k == "sender", k == "organization", k == "installation", k == "enterprise", k == "owner",
				k == "permissions", k == "reactions", k == "description", k == "body", k == "head_repository",
				k == "actor", k == "triggering_actor", k == "head_commit", k == "pull_requests", k == "repo",
				k == "user", k == "creator", k == "assignee", k == "assignees", k == "merged_by":
				delete(x, k)
			default:
				x[k] = prune(x[k])
			}
		}
		return x
	case []any:
		if len(x) > 3 {
			x = x[:3]
		}
		for i := range x {
			x[i] = prune(x[i])
		}
		return x
	}
	return v
}

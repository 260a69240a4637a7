package bitbucket

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

// FuzzParse feeds arbitrary bodies under every handled event name: Parse
// must never panic, must fail only with ErrIgnored or ErrPayload, and every
// event it returns must be valid.
func FuzzParse(f *testing.F) {
	for _, file := range payloads(f) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		h := readHeaders(f, strings.TrimSuffix(file, ".json")+".headers")
		f.Add(h.Get("X-Event-Key"), smallSeed(body))
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

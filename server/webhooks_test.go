package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/ingest/github"
	"github.com/throughline/throughline/queries/chtest"
)

// TestWebhookSignaturesAndReplays posts a real GitHub payload with real
// HMACs: valid, invalid, missing, wrong algorithm, and a replayed delivery.
func TestWebhookSignaturesAndReplays(t *testing.T) {
	body, err := os.ReadFile("../testdata/webhooks/github/push.commits.json")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "It's a Secret to Everybody"
	gh, err := github.New(github.Options{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, chtest.NewStore(t, chtest.Embedded(t)), tsOptions{webhooks: map[string]ingest.Webhook{"github": gh}})
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	h := func(sig, delivery string) map[string]string {
		m := map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery}
		if sig != "" {
			m["X-Hub-Signature-256"] = sig
		}
		return m
	}
	for _, tc := range []struct {
		name, sig, delivery string
		status              int
		want                string
	}{
		{"missing", "", "d-1", 401, "X-Hub-Signature-256 header is missing"},
		{"invalid", "sha256=" + strings.Repeat("0", 64), "d-1", 401, "signature"},
		{"wrong algorithm", "sha1=" + strings.Repeat("a", 40), "d-1", 401, "signature"},
		{"valid", good, "d-1", 200, `"accepted":`},
		{"replayed delivery", good, "d-1", 200, `"duplicate":true`},
		{"replay with another delivery id", good, "d-2", 200, `"accepted":`},
	} {
		r := do(t, "POST", ts.URL+"/webhooks/github", body, h(tc.sig, tc.delivery))
		if r.Status != tc.status || !strings.Contains(unquote(r.Body), tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, r.Status, r.Body, tc.status, tc.want)
		}
	}
	// Whatever the replays, each commit is stored once.
	r := do(t, "GET", ts.URL+"/api/v1/events?source=github&type=change.committed", nil, nil)
	var out struct{ Events []ingest.Event }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	events, err := gh.Parse(map[string][]string{"X-Github-Event": {"push"}}, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) == 0 || len(out.Events) != len(events) {
		t.Fatalf("stored %d commits, the payload has %d", len(out.Events), len(events))
	}
}

package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/ingest/alertmanager"
	"github.com/throughline/throughline/ingest/github"
	"github.com/throughline/throughline/ingest/jira"
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

// TestWebhookBadItemsBesideGoodOnes: one bad item of a multi-item payload
// (an alert of an Alertmanager notification, a commit of a push) is
// reported, and the good items beside it are stored; a payload whose only
// event is invalid (a time out of range) is refused with 400 naming it.
func TestWebhookBadItemsBesideGoodOnes(t *testing.T) {
	am, err := alertmanager.New(alertmanager.Options{Token: "am-token-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := github.New(github.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, chtest.NewStore(t, chtest.Embedded(t)), tsOptions{webhooks: map[string]ingest.Webhook{"alertmanager": am, "github": gh}})

	var note map[string]any
	b, err := os.ReadFile("../testdata/webhooks/alertmanager/firing.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &note); err != nil {
		t.Fatal(err)
	}
	alerts := note["alerts"].([]any)
	bad := map[string]any{}
	for k, v := range alerts[0].(map[string]any) {
		bad[k] = v
	}
	bad["startsAt"] = "yesterday"
	bad["fingerprint"] = "bad0000000000000"
	note["alerts"] = append(alerts, bad)
	body, _ := json.Marshal(note)
	r := do(t, "POST", ts.URL+"/webhooks/alertmanager", body, map[string]string{"Content-Type": "application/json", "Authorization": "Bearer am-token-0123456789"})
	if r.Status != 200 || !strings.Contains(unquote(r.Body), fmt.Sprintf(`"item":"alerts[%d]"`, len(alerts))) || !strings.Contains(unquote(r.Body), "startsAt") {
		t.Fatalf("alertmanager: %d %s, want 200 with alerts[%d] rejected", r.Status, r.Body, len(alerts))
	}
	stored := func(source string) int {
		r := do(t, "GET", ts.URL+"/api/v1/events?source="+source, nil, nil)
		var out struct{ Events []ingest.Event }
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
		return len(out.Events)
	}
	if n := stored("alertmanager"); n < len(alerts) {
		t.Errorf("%d alertmanager events stored, want one at least for each of the %d good alerts", n, len(alerts))
	}

	push := func(ts1, ts2 string) []byte {
		b, err := os.ReadFile("../testdata/webhooks/github/push.commits.json")
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		cs := p["commits"].([]any)
		cs[0].(map[string]any)["timestamp"] = ts1
		cs[1].(map[string]any)["timestamp"] = ts2
		out, _ := json.Marshal(p)
		return out
	}
	h := map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "push"}
	h["X-GitHub-Delivery"] = "bad-commit"
	r = do(t, "POST", ts.URL+"/webhooks/github", push("not a time", "2026-11-20T10:00:00Z"), h)
	if r.Status != 200 || !strings.Contains(unquote(r.Body), `"item":"commits[0]"`) || !strings.Contains(unquote(r.Body), `"accepted":1`) {
		t.Errorf("push with a bad commit: %d %s, want 200, 1 accepted, commits[0] rejected", r.Status, r.Body)
	}
	h["X-GitHub-Delivery"] = "old-commits"
	r = do(t, "POST", ts.URL+"/webhooks/github", push("1900-01-01T00:00:00Z", "1900-01-02T00:00:00Z"), h)
	if r.Status != 400 || !strings.Contains(unquote(r.Body), "out of range") {
		t.Errorf("push of commits from 1900: %d %s, want 400 naming the time", r.Status, r.Body)
	}
	if n := stored("github"); n != 1 {
		t.Errorf("%d github events stored, want the 1 good commit", n)
	}
}

// TestJiraQueryToken: Jira Data Center can only put a token in the webhook
// URL. ?token= with Jira's token is accepted, with or without API tokens
// configured; a wrong one is refused; a lower-case "bearer" API token is
// accepted on the API.
func TestJiraQueryToken(t *testing.T) {
	body, err := os.ReadFile("../testdata/webhooks/jira/jira_issue_created.incident.json")
	if err != nil {
		t.Fatal(err)
	}
	jh, err := jira.New(jira.Options{Token: "jira-token-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	js := map[string]string{"Content-Type": "application/json"}
	for _, tokens := range [][]string{nil, {"api-token-0123456789abcdef"}} {
		ts := newTestServer(t, chtest.NewStore(t, chtest.Embedded(t)), tsOptions{tokens: tokens, webhooks: map[string]ingest.Webhook{"jira": jh}})
		if r := do(t, "POST", ts.URL+"/webhooks/jira?token=jira-token-0123456789", body, js); r.Status != 200 {
			t.Errorf("API tokens %v: Jira's token in the URL: %d %s, want 200", tokens, r.Status, r.Body)
		}
		if r := do(t, "POST", ts.URL+"/webhooks/jira?token=not-the-token-000000", body, js); r.Status != 401 {
			t.Errorf("API tokens %v: a wrong token in the URL: %d %s, want 401", tokens, r.Status, r.Body)
		}
		if r := do(t, "POST", ts.URL+"/webhooks/jira", body, js); r.Status != 401 {
			t.Errorf("API tokens %v: no token: %d %s, want 401", tokens, r.Status, r.Body)
		}
		if tokens != nil {
			if r := do(t, "GET", ts.URL+"/api/v1/events?limit=1", nil, map[string]string{"Authorization": "bearer " + tokens[0]}); r.Status != 200 {
				t.Errorf("lower-case bearer: %d %s, want 200", r.Status, r.Body)
			}
		}
	}
}

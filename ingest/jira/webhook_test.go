package jira

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

func testOptions() Options {
	return Options{
		Secret:            "jira-secret",
		ProjectServices:   map[string]string{"SHOP": "storefront"},
		ComponentServices: map[string]string{"Payments": "payments"},
		ProjectProducts:   map[string]string{"SHOP": "webshop"},
	}
}

func TestVerify(t *testing.T) {
	body := `{"webhookEvent":"jira:issue_created"}`
	sig := func(secret string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	for _, tc := range []struct {
		name   string
		opts   Options
		header map[string]string
		ok     bool
	}{
		{name: "good signature", opts: Options{Secret: "s"}, header: map[string]string{"X-Hub-Signature": sig("s")}, ok: true},
		{name: "bad signature", opts: Options{Secret: "s", Token: "t"}, header: map[string]string{"X-Hub-Signature": sig("x"), "Authorization": "Bearer t"}},
		{name: "good bearer", opts: Options{Token: "t"}, header: map[string]string{"Authorization": "Bearer t"}, ok: true},
		{name: "good token header", opts: Options{Token: "t"}, header: map[string]string{"X-Throughline-Token": "t"}, ok: true},
		{name: "bad token", opts: Options{Token: "t"}, header: map[string]string{"X-Throughline-Token": "u"}},
		{name: "signature when only token is set", opts: Options{Token: "t"}, header: map[string]string{"X-Hub-Signature": sig("")}},
		{name: "missing", opts: Options{Secret: "s", Token: "t"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWebhook(t, tc.opts)
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			err := w.Verify(h, []byte(body))
			if tc.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ingest.ErrUnauthorized) {
				t.Fatalf("%v does not wrap ErrUnauthorized", err)
			}
		})
	}
	w := newWebhook(t, Options{Token: "t"})
	if err := w.VerifyQuery(url.Values{"token": {"t"}}); err != nil {
		t.Errorf("VerifyQuery good token: %v", err)
	}
	for _, q := range []url.Values{{"token": {"x"}}, {}} {
		if err := w.VerifyQuery(q); !errors.Is(err, ingest.ErrUnauthorized) {
			t.Errorf("VerifyQuery(%v) = %v, want ErrUnauthorized", q, err)
		}
	}
	if err := newWebhook(t, Options{Secret: "s"}).VerifyQuery(url.Values{"token": {""}}); err == nil {
		t.Error("VerifyQuery accepted an empty token with no token configured")
	}
	for _, tc := range []struct {
		opts Options
		key  string
	}{
		{Options{}, "jira.secret"},
		{Options{Token: "t", IssueTypeKinds: map[string]string{"Spike": "research"}}, "jira.issue_type_kinds.Spike"},
		{Options{Token: "t", Priorities: map[string]string{"Urgent": "1"}}, "jira.priorities.Urgent"},
	} {
		if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tc.opts, err, tc.key)
		}
	}
	if got := w.DeliveryID(http.Header{"X-Atlassian-Webhook-Identifier": {"42"}}); got != "42" {
		t.Errorf("DeliveryID = %q", got)
	}
}

func TestParseCases(t *testing.T) {
	w := newWebhook(t, Options{Token: "t", IssueTypeKinds: map[string]string{"Task": "debt"}})
	for _, tc := range []struct {
		name, body string
		want       error
		kind       string
	}{
		{name: "mapped task", body: `{"webhookEvent":"jira:issue_created","issue":{"key":"A-1","fields":{"issuetype":{"name":"task"},"created":"2026-01-01T10:00:00.000+0000"}}}`, kind: "debt"},
		{name: "not JSON", body: `{"webhookEvent":`, want: ingest.ErrPayload},
		{name: "no event", body: `{}`, want: ingest.ErrPayload},
		{name: "no key", body: `{"webhookEvent":"jira:issue_created","issue":{}}`, want: ingest.ErrPayload},
		{name: "bad created", body: `{"webhookEvent":"jira:issue_created","issue":{"key":"A-1","fields":{"created":"Monday"}}}`, want: ingest.ErrPayload},
		{name: "no status change", body: `{"webhookEvent":"jira:issue_updated","issue":{"key":"A-1"},"changelog":{"items":[{"field":"summary"}]}}`, want: ingest.ErrIgnored},
		{name: "back to To Do", body: `{"webhookEvent":"jira:issue_updated","timestamp":1,"issue":{"key":"A-1","fields":{"status":{"statusCategory":{"key":"new"}}}},"changelog":{"items":[{"field":"status"}]}}`, want: ingest.ErrIgnored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := w.Parse(nil, []byte(tc.body))
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Parse = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil || evs[0].Kind != tc.kind {
				t.Fatalf("Parse = %+v, %v; want kind %q", evs, err, tc.kind)
			}
		})
	}
}

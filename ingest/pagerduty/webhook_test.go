package pagerduty

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

func testOptions() Options {
	return Options{Secret: "pd-secret", ServiceMap: map[string]string{"Checkout (prod)": "checkout"}}
}

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := `{"event":{}}`
	w := newWebhook(t, testOptions())
	for _, tc := range []struct {
		name, sig string
		ok        bool
	}{
		{name: "good", sig: sign("pd-secret", body), ok: true},
		{name: "good among several", sig: sign("old", body) + ", " + sign("pd-secret", body), ok: true},
		{name: "bad secret", sig: sign("other", body)},
		{name: "body changed", sig: sign("pd-secret", body+" ")},
		{name: "no v1 prefix", sig: strings.TrimPrefix(sign("pd-secret", body), "v1=")},
		{name: "not hex", sig: "v1=zz"},
		{name: "missing", sig: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.sig != "" {
				h.Set("X-PagerDuty-Signature", tc.sig)
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
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "pagerduty.secret") {
		t.Fatalf("New with no secret = %v, want an error naming pagerduty.secret", err)
	}
}

func TestParseErrors(t *testing.T) {
	w := newWebhook(t, testOptions())
	for _, tc := range []struct {
		name, body string
		want       error
	}{
		{name: "not JSON", body: `{`, want: ingest.ErrPayload},
		{name: "v2 webhook", body: `{"messages":[]}`, want: ingest.ErrPayload},
		{name: "ping", body: `{"event":{"event_type":"pagey.ping"}}`, want: ingest.ErrIgnored},
		{name: "service event", body: `{"event":{"event_type":"service.updated"}}`, want: ingest.ErrIgnored},
		{name: "no data", body: `{"event":{"event_type":"incident.resolved","occurred_at":"2026-01-01T00:00:00Z"}}`, want: ingest.ErrPayload},
		{name: "bad time", body: `{"event":{"event_type":"incident.resolved","occurred_at":"yesterday","data":{"id":"P1"}}}`, want: ingest.ErrPayload},
		{name: "triggered without service", body: `{"event":{"event_type":"incident.triggered","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"P1"}}}`, want: ingest.ErrPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.Parse(nil, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, want %v", err, tc.want)
			}
		})
	}
}

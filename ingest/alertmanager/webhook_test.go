package alertmanager

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

func testOptions() Options {
	return Options{Token: "am-token", OpenIncidents: true}
}

func TestVerify(t *testing.T) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, tc := range []struct {
		name, auth string
		opts       Options
		ok         bool
	}{
		{name: "good bearer", opts: Options{Token: "t"}, auth: "Bearer t", ok: true},
		{name: "bad bearer", opts: Options{Token: "t"}, auth: "Bearer x"},
		{name: "good basic", opts: Options{Username: "u", Password: "p"}, auth: basic("u", "p"), ok: true},
		{name: "bad basic", opts: Options{Username: "u", Password: "p"}, auth: basic("u", "t")},
		{name: "basic not configured", opts: Options{Token: "t"}, auth: basic("", "")},
		{name: "bearer not configured", opts: Options{Username: "u", Password: "p"}, auth: "Bearer "},
		{name: "missing", opts: Options{Token: "t"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWebhook(t, tc.opts)
			h := http.Header{}
			if tc.auth != "" {
				h.Set("Authorization", tc.auth)
			}
			err := w.Verify(h, nil)
			if tc.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ingest.ErrUnauthorized) {
				t.Fatalf("%v does not wrap ErrUnauthorized", err)
			}
		})
	}
	for _, tc := range []struct {
		opts Options
		key  string
	}{
		{Options{}, "alertmanager.token"},
		{Options{Token: "t", SeverityPriorities: map[string]string{"page": "urgent"}}, "alertmanager.severity_priorities.page"},
	} {
		if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tc.opts, err, tc.key)
		}
	}
}

func TestParseErrors(t *testing.T) {
	w := newWebhook(t, testOptions())
	for _, tc := range []struct {
		name, body string
		want       error
	}{
		{name: "not JSON", body: `nope`, want: ingest.ErrPayload},
		{name: "old version", body: `{"version":"3","alerts":[]}`, want: ingest.ErrPayload},
		{name: "no alerts", body: `{"version":"4","alerts":[]}`, want: ingest.ErrIgnored},
		{name: "bad startsAt", body: `{"alerts":[{"status":"firing","startsAt":"now"}]}`, want: ingest.ErrPayload},
		{name: "resolved without endsAt", body: `{"alerts":[{"status":"resolved","startsAt":"2026-01-01T00:00:00Z"}]}`, want: ingest.ErrPayload},
		{name: "odd status", body: `{"alerts":[{"status":"pending","startsAt":"2026-01-01T00:00:00Z"}]}`, want: ingest.ErrPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.Parse(nil, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFingerprintWhenMissing(t *testing.T) {
	w := newWebhook(t, Options{Token: "t"})
	body := `{"alerts":[{"status":"firing","labels":{"b":"2","a":"1"},"startsAt":"2026-01-01T00:00:00Z"}]}`
	evs, err := w.Parse(nil, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := w.Parse(nil, []byte(`{"alerts":[{"status":"firing","labels":{"a":"1","b":"2"},"startsAt":"2026-01-01T00:00:00Z"}]}`))
	if evs[0].Subject == "" || evs[0].Subject != again[0].Subject {
		t.Fatalf("fingerprints %q and %q should be equal and set", evs[0].Subject, again[0].Subject)
	}
}

package opsgenie

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

func testOptions() Options {
	return Options{Secret: "og-secret", ServiceMap: map[string]string{"Server": "web-frontend"}}
}

func TestVerify(t *testing.T) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	both := Options{Secret: "s", Username: "u", Password: "p"}
	for _, tc := range []struct {
		name   string
		opts   Options
		header map[string]string
		ok     bool
	}{
		{name: "good header", opts: both, header: map[string]string{"X-Throughline-Token": "s"}, ok: true},
		{name: "custom header", opts: Options{Secret: "s", Header: "X-OG-Key"}, header: map[string]string{"X-OG-Key": "s"}, ok: true},
		{name: "bad header", opts: both, header: map[string]string{"X-Throughline-Token": "x"}},
		{name: "good basic", opts: both, header: map[string]string{"Authorization": basic("u", "p")}, ok: true},
		{name: "bad basic", opts: both, header: map[string]string{"Authorization": basic("u", "x")}},
		{name: "basic not configured", opts: Options{Secret: "s"}, header: map[string]string{"Authorization": basic("", "")}},
		{name: "missing", opts: both},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWebhook(t, tc.opts)
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
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
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "opsgenie.secret") {
		t.Fatalf("New with no auth = %v, want an error naming opsgenie.secret", err)
	}
}

func TestAlertsAreNotIncidents(t *testing.T) {
	f := false
	o := testOptions()
	o.AlertsAreIncidents = &f
	w := newWebhook(t, o)
	for _, tc := range []struct{ file, want string }{
		{"alert.create.json", ingest.TypeAlertFiring},
		{"alert.close.json", ingest.TypeAlertResolved},
		{"alert.acknowledge.json", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(dir + "/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := w.Parse(nil, body)
			if tc.want == "" {
				if !errors.Is(err, ingest.ErrIgnored) {
					t.Fatalf("Parse = %v, want ErrIgnored", err)
				}
				return
			}
			if err != nil || len(evs) != 1 || evs[0].Type != tc.want {
				t.Fatalf("Parse = %+v, %v; want one %s", evs, err, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	w := newWebhook(t, testOptions())
	for _, tc := range []struct {
		name, body string
		want       error
	}{
		{name: "not JSON", body: `[`, want: ingest.ErrPayload},
		{name: "no action", body: `{"alert":{}}`, want: ingest.ErrPayload},
		{name: "no alert id", body: `{"action":"Create","alert":{"createdAt":1502709956288}}`, want: ingest.ErrPayload},
		{name: "bad time", body: `{"action":"Create","alert":{"alertId":"a","createdAt":-5}}`, want: ingest.ErrPayload},
		{name: "other action", body: `{"action":"Escalate"}`, want: ingest.ErrIgnored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.Parse(nil, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, want %v", err, tc.want)
			}
		})
	}
}

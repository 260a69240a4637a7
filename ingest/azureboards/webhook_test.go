package azureboards

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

func testOptions() Options {
	return Options{Username: "throughline", Password: "s3cret", AreaServices: map[string]string{`Fabrikam-Fiber-Git\Shop`: "storefront"}}
}

func TestVerify(t *testing.T) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	w := newWebhook(t, testOptions())
	for _, tc := range []struct {
		name, auth string
		ok         bool
	}{
		{name: "good", auth: basic("throughline", "s3cret"), ok: true},
		{name: "bad password", auth: basic("throughline", "x")},
		{name: "bad user", auth: basic("x", "s3cret")},
		{name: "bearer", auth: "Bearer s3cret"},
		{name: "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
		{Options{}, "azureboards.username"},
		{Options{Username: "u", Password: "p", WorkItemTypeKinds: map[string]string{"Spike": "x"}}, "azureboards.work_item_type_kinds.Spike"},
		{Options{Username: "u", Password: "p", StartedStates: []string{"Done"}, DoneStates: []string{"done"}}, "azureboards.started_states"},
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
		{name: "not JSON", body: `x`, want: ingest.ErrPayload},
		{name: "no event type", body: `{}`, want: ingest.ErrPayload},
		{name: "no resource", body: `{"eventType":"workitem.created"}`, want: ingest.ErrPayload},
		{name: "no id", body: `{"eventType":"workitem.created","resource":{"fields":{}}}`, want: ingest.ErrPayload},
		{name: "bad created date", body: `{"eventType":"workitem.created","resource":{"id":1,"fields":{"System.CreatedDate":"today"}}}`, want: ingest.ErrPayload},
		{name: "no state change", body: `{"eventType":"workitem.updated","resource":{"workItemId":1,"fields":{"System.Title":{"oldValue":"a","newValue":"b"}}}}`, want: ingest.ErrIgnored},
		{name: "unlisted state", body: `{"eventType":"workitem.updated","resource":{"workItemId":1,"fields":{"System.State":{"oldValue":"New","newValue":"Design"}}}}`, want: ingest.ErrIgnored},
		{name: "no changed date", body: `{"eventType":"workitem.updated","resource":{"workItemId":1,"fields":{"System.State":{"newValue":"Active"}}}}`, want: ingest.ErrPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.Parse(nil, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, want %v", err, tc.want)
			}
		})
	}
}

package servicenow

import (
	"encoding/base64"
	"errors"
	"flag"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/ingest/ingesttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const dir = "../../testdata/webhooks/servicenow"

func testOptions() Options {
	return Options{
		Username:            "throughline",
		Password:            "s3cret",
		Token:               "tok-123",
		CIServices:          map[string]string{"Payments API": "payments", "109562a3c611227500a7b7ff98cc0dc7": "email"},
		DeploymentField:     "u_deployment",
		AutomationUsers:     []string{"svc.autoheal"},
		AutomatedCloseCodes: []string{"Auto-resolved"},
	}
}

func newWebhook(tb testing.TB, o Options) *Webhook {
	tb.Helper()
	w, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func TestGolden(t *testing.T) {
	ingesttest.Golden(t, dir, *update, ingesttest.Events(newWebhook(t, testOptions()).Parse))
}

func TestTimeZone(t *testing.T) {
	// America/New_York: DST began 2026-03-08 02:00 EST (-05:00 → -04:00)
	// and ends 2026-11-01 02:00 EDT.
	o := testOptions()
	o.TimeZone = "America/New_York"
	w := newWebhook(t, o)
	for _, tc := range []struct {
		name  string
		field string // the opened_at field as sent
		want  string
	}{
		{name: "winter plain", field: `"2026-01-15 09:00:00"`, want: "2026-01-15T14:00:00Z"},
		{name: "before spring forward", field: `"2026-03-08 01:30:00"`, want: "2026-03-08T06:30:00Z"},
		{name: "after spring forward", field: `"2026-03-08 03:30:00"`, want: "2026-03-08T07:30:00Z"},
		{name: "summer plain", field: `"2026-07-01 12:00:00"`, want: "2026-07-01T16:00:00Z"},
		{name: "pair value is UTC whatever the zone", field: `{"display_value": "2026-07-01 08:00:00", "value": "2026-07-01 12:00:00"}`, want: "2026-07-01T12:00:00Z"},
		{name: "pair without value uses the zone", field: `{"display_value": "2026-07-01 08:00:00", "value": ""}`, want: "2026-07-01T12:00:00Z"},
		{name: "RFC 3339 keeps its offset", field: `"2026-07-01T12:00:00+02:00"`, want: "2026-07-01T10:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"sys_class_name":"incident","number":"INC1","state":"1","opened_at":` + tc.field + `}`
			evs, err := w.Parse(nil, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if got := evs[0].Time.Format(time.RFC3339); got != tc.want {
				t.Errorf("time = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseCases(t *testing.T) {
	w := newWebhook(t, testOptions())
	for _, tc := range []struct {
		name      string
		body      string
		wantErr   error
		wantTypes string
	}{
		{name: "in progress acknowledges at update", body: `{"number":"INC2","state":"In Progress","opened_at":"2026-11-20 10:00:00","sys_updated_on":"2026-11-20 10:05:00"}`, wantTypes: "incident.opened incident.acknowledged"},
		{name: "canceled yields opened only", body: `{"number":"INC3","state":"8","opened_at":"2026-11-20 10:00:00","sys_updated_on":"2026-11-20 10:05:00"}`, wantTypes: "incident.opened"},
		{name: "closed change without close code", body: `{"number":"CHG9","state":"3","opened_at":"2026-11-20 10:00:00"}`, wantTypes: "change_request.created"},
		{name: "table from options", body: `{"number":"X1","opened_at":"2026-11-20 10:00:00"}`, wantErr: ingest.ErrIgnored},
		{name: "no number", body: `{"sys_class_name":"incident","opened_at":"2026-11-20 10:00:00"}`, wantErr: ingest.ErrPayload},
		{name: "bad date", body: `{"number":"INC4","opened_at":"20/11/2026"}`, wantErr: ingest.ErrPayload},
		{name: "no opened_at", body: `{"number":"INC5"}`, wantErr: ingest.ErrPayload},
		{name: "not JSON", body: `{"number":`, wantErr: ingest.ErrPayload},
		{name: "empty result", body: `{"result":[]}`, wantErr: ingest.ErrIgnored},
		{name: "record not an object", body: `{"result":[1]}`, wantErr: ingest.ErrPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := w.Parse(nil, []byte(tc.body))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, e := range evs {
				types = append(types, e.Type)
			}
			if got := strings.Join(types, " "); got != tc.wantTypes {
				t.Errorf("types = %q, want %q", got, tc.wantTypes)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, tc := range []struct {
		name string
		opts Options
		auth string
		ok   bool
	}{
		{name: "good basic", opts: Options{Username: "u", Password: "p"}, auth: basic("u", "p"), ok: true},
		{name: "bad password", opts: Options{Username: "u", Password: "p"}, auth: basic("u", "x")},
		{name: "bad user", opts: Options{Username: "u", Password: "p"}, auth: basic("x", "p")},
		{name: "good bearer", opts: Options{Token: "t"}, auth: "Bearer t", ok: true},
		{name: "bad bearer", opts: Options{Token: "t"}, auth: "Bearer u"},
		{name: "bearer when only basic is set", opts: Options{Username: "u", Password: "p"}, auth: "Bearer "},
		{name: "basic when only token is set", opts: Options{Token: "t"}, auth: basic("", "")},
		{name: "missing", opts: Options{Token: "t"}, auth: ""},
		{name: "garbage", opts: Options{Username: "u", Password: "p"}, auth: "Basic !!!"},
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
				t.Fatalf("error %v does not wrap ErrUnauthorized", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string // substring naming the key; "" means valid
	}{
		{name: "unset auth", opts: Options{}, want: "servicenow.token"},
		{name: "user without password", opts: Options{Username: "u"}, want: "servicenow.password"},
		{name: "bad zone", opts: Options{Token: "t", TimeZone: "Mars/Olympus"}, want: "servicenow.time_zone"},
		{name: "bad table", opts: Options{Token: "t", Table: "problem"}, want: "servicenow.table"},
		{name: "valid", opts: Options{Token: "t", TimeZone: "Europe/Paris", Table: "incident"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	ingesttest.Fuzz(f, dir, newWebhook(f, testOptions()).Parse,
		[]byte(`{"number":"INC1","state":"7","reopen_count":"3","opened_at":"2026-01-01 00:00:00"}`))
}

package digitalai

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

var goldenOptions = Options{
	DeployTemplates:   []string{".*to production"},
	PhaseEnvironments: map[string]string{"PROD": "production"},
}

func fuzzHeaders(string) http.Header { return http.Header{} }

func TestVerify(t *testing.T) {
	both := Options{Token: "t0k", Username: "release", Password: "pw"}
	for _, tc := range []struct {
		name    string
		opts    Options
		setup   func(h http.Header)
		wantErr string
	}{
		{name: "good token", opts: both, setup: func(h http.Header) { h.Set("X-Throughline-Token", "t0k") }},
		{name: "good basic", opts: both, setup: func(h http.Header) { basic(h, "release", "pw") }},
		{name: "bad token", opts: both, setup: func(h http.Header) { h.Set("X-Throughline-Token", "nope") }, wantErr: "does not match"},
		{name: "bad basic password", opts: both, setup: func(h http.Header) { basic(h, "release", "nope") }, wantErr: "do not match"},
		{name: "basic not configured", opts: Options{Token: "t0k"}, setup: func(h http.Header) { basic(h, "release", "pw") }, wantErr: "send X-Throughline-Token"},
		{name: "missing", opts: both, setup: func(http.Header) {}, wantErr: "send X-Throughline-Token"},
		{name: "unset accepts", opts: Options{}, setup: func(http.Header) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			tc.setup(h)
			err = w.Verify(h, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				return
			}
			if !errors.Is(err, ingest.ErrUnauthorized) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Verify = %v, want ErrUnauthorized containing %q", err, tc.wantErr)
			}
		})
	}
}

func basic(h http.Header, user, pass string) {
	r, _ := http.NewRequest("POST", "http://x", nil)
	r.SetBasicAuth(user, pass)
	h.Set("Authorization", r.Header.Get("Authorization"))
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		give Options
		want string
	}{
		{"user without password", Options{Username: "u"}, "username:"},
		{"bad regexp", Options{DeployTemplates: []string{"("}}, "deploy_templates[0]:"},
		{"padded variable", Options{ServiceVariable: " svc"}, "service_variable:"},
		{"empty phase environment", Options{PhaseEnvironments: map[string]string{"PROD": ""}}, "phase_environments.PROD:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.give); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		body    string
		wantErr error
		msg     string
		check   func(ingest.Event) bool
	}{
		{name: "variable makes it a deployment, default service", opts: Options{DefaultService: "api"},
			body:  `{"id":"R1","status":"COMPLETED","endDate":"2026-11-20T10:00:00Z","variables":{"deploymentEnvironment":"qa"}}`,
			check: func(e ingest.Event) bool { return e.Service == "api" && e.Environment == "qa" && e.ID == "R1" }},
		{name: "no service", body: `{"id":"R1","status":"COMPLETED","endDate":"2026-11-20T10:00:00Z","variables":{"deploymentEnvironment":"qa"}}`,
			wantErr: ingest.ErrPayload, msg: "variables.service:"},
		{name: "template match without environment", opts: Options{DeployTemplates: []string{"Deploy .*"}},
			body: `{"id":"R1","title":"Deploy x","status":"COMPLETED","endDate":"2026-11-20T10:00:00Z","variables":[{"key":"service","value":"x"}]}`, wantErr: ingest.ErrPayload, msg: "variables.deploymentEnvironment:"},
		{name: "no end date", body: `{"id":"R1","status":"COMPLETED","variables":{"deploymentEnvironment":"qa"}}`, wantErr: ingest.ErrPayload, msg: "endDate:"},
		{name: "no id", body: `{"status":"COMPLETED"}`, wantErr: ingest.ErrPayload, msg: "id: is required"},
		{name: "bad variables", body: `{"id":"R","variables":"x"}`, wantErr: ingest.ErrPayload, msg: "variables:"},
		{name: "phase without id", body: `{"release":{"id":"R","variables":{"deploymentEnvironment":"qa"}},"phase":{"status":"COMPLETED"}}`, wantErr: ingest.ErrPayload, msg: "phase.id:"},
		{name: "not json", body: `x`, wantErr: ingest.ErrPayload, msg: "JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := w.Parse(http.Header{}, []byte(tc.body))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("Parse = %v, want %v containing %q", err, tc.wantErr, tc.msg)
				}
				return
			}
			if err != nil || len(evs) != 1 || !tc.check(evs[0]) {
				t.Fatalf("Parse = %+v, %v", evs, err)
			}
		})
	}
}

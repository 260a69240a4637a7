package jenkins

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

var goldenOptions = Options{
	DeployJobs:  []string{"deploy-.*"},
	JobServices: map[string]string{"payments/deploy-checkout": "checkout"},
}

func fuzzHeaders(string) http.Header { return http.Header{} }

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"name":"x"}`)
	for _, tc := range []struct {
		name    string
		token   string
		headers map[string]string
		wantErr string
	}{
		{name: "good token", token: "t0k", headers: map[string]string{"X-Throughline-Token": "t0k"}},
		{name: "good signature", token: "t0k", headers: map[string]string{"X-Throughline-Signature": sign("t0k", body)}},
		{name: "bad token", token: "t0k", headers: map[string]string{"X-Throughline-Token": "nope"}, wantErr: "does not match"},
		{name: "bad signature", token: "t0k", headers: map[string]string{"X-Throughline-Signature": sign("x", body)}, wantErr: "does not match the body"},
		{name: "missing", token: "t0k", wantErr: "send X-Throughline-Token"},
		{name: "unset token accepts", token: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Options{Token: tc.token})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			err = w.Verify(h, body)
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

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		give Options
		want string
	}{
		{"bad regexp", Options{DeployJobs: []string{"deploy-("}}, "deploy_jobs[0]:"},
		{"empty regexp", Options{DeployJobs: []string{"ok", " "}}, "deploy_jobs[1]:"},
		{"blank environment parameter", Options{EnvironmentParameter: " "}, "environment_parameter:"},
		{"blank default environment", Options{DefaultEnvironment: " "}, "default_environment:"},
		{"empty service", Options{JobServices: map[string]string{"a": ""}}, "job_services.a:"},
		{"padded token", Options{Token: "x "}, "token:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.give)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const deploy = `{"name":"deploy-api","url":"job/deploy-api/","build":{"number":5,"phase":"FINALIZED","status":"SUCCESS","timestamp":1795082640000,"parameters":{"TARGET":"staging"}}}`
	for _, tc := range []struct {
		name    string
		opts    Options
		body    string
		want    func(ingest.Event) bool
		wantErr error
		errMsg  string
	}{
		{name: "environment parameter option", opts: Options{DeployJobs: []string{"deploy-api"}, EnvironmentParameter: "TARGET"}, body: deploy,
			want: func(e ingest.Event) bool {
				return e.Type == ingest.TypeDeploymentFinished && e.Environment == "staging" && e.Service == "deploy-api" && e.ID == "deploy-api#5"
			}},
		{name: "default environment", opts: Options{DeployJobs: []string{"deploy-.*"}, DefaultEnvironment: "production"}, body: deploy,
			want: func(e ingest.Event) bool { return e.Environment == "production" }},
		{name: "regexp is anchored", opts: Options{DeployJobs: []string{"deploy"}}, body: deploy,
			want: func(e ingest.Event) bool { return e.Type == ingest.TypeBuildFinished }},
		{name: "not json", body: `nope`, wantErr: ingest.ErrPayload, errMsg: "not a Notification plugin JSON object"},
		{name: "no build", body: `{"name":"x"}`, wantErr: ingest.ErrPayload, errMsg: "build: is required"},
		{name: "queued", body: `{"name":"x","build":{"phase":"QUEUED"}}`, wantErr: ingest.ErrIgnored, errMsg: "QUEUED"},
		{name: "unknown status", body: `{"name":"x","build":{"number":1,"phase":"COMPLETED","status":"WEIRD","timestamp":1}}`, wantErr: ingest.ErrPayload, errMsg: "build.status"},
		{name: "bad timestamp", body: `{"name":"x","build":{"number":1,"phase":"COMPLETED","status":"SUCCESS","timestamp":true}}`, wantErr: ingest.ErrPayload, errMsg: "build.timestamp"},
		{name: "ancient timestamp", body: `{"name":"x","build":{"number":1,"phase":"COMPLETED","status":"SUCCESS","timestamp":5}}`, wantErr: ingest.ErrPayload, errMsg: "out of range"},
		{name: "no name", body: `{"build":{"number":1,"phase":"COMPLETED","status":"SUCCESS","timestamp":1795082640000}}`, wantErr: ingest.ErrPayload, errMsg: "name: is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := w.Parse(http.Header{}, []byte(tc.body))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errMsg) {
					t.Fatalf("Parse = %v, want %v containing %q", err, tc.wantErr, tc.errMsg)
				}
				return
			}
			if err != nil || len(evs) != 1 || !tc.want(evs[0]) {
				t.Fatalf("Parse = %+v, %v", evs, err)
			}
		})
	}
}

package cloudbees

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

var goldenOptions = Options{}

func fuzzHeaders(string) http.Header { return http.Header{} }

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		headers map[string]string
		wantErr string
	}{
		{name: "good", opts: Options{Token: "t0k"}, headers: map[string]string{"X-Throughline-Token": "t0k"}},
		{name: "good custom header", opts: Options{Token: "t0k", Header: "X-CD-Secret"}, headers: map[string]string{"X-Cd-Secret": "t0k"}},
		{name: "bad", opts: Options{Token: "t0k"}, headers: map[string]string{"X-Throughline-Token": "nope"}, wantErr: "does not match"},
		{name: "missing", opts: Options{Token: "t0k"}, wantErr: "missing"},
		{name: "unset token accepts", opts: Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
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

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		give Options
		want string
	}{
		{"bad header", Options{Header: "X Bad"}, "header:"},
		{"empty service", Options{PipelineServices: map[string]string{"p": ""}}, "pipeline_services.p:"},
		{"blank default", Options{DefaultEnvironment: " "}, "default_environment:"},
		{"padded token", Options{Token: "t "}, "token:"},
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
		{name: "pipeline service and default environment", opts: Options{PipelineServices: map[string]string{"rel": "api"}, DefaultEnvironment: "production"},
			body: `{"pipelineName":"rel","flowRuntimeId":"f1","outcome":"success","finishTime":"2026-11-20T10:00:00Z"}`,
			check: func(e ingest.Event) bool {
				return e.Service == "api" && e.Environment == "production" && e.ID == "f1/production"
			}},
		{name: "no environment", body: `{"pipelineName":"rel","flowRuntimeId":"f1","outcome":"success","finishTime":"2026-11-20T10:00:00Z"}`, wantErr: ingest.ErrPayload, msg: "environmentName:"},
		{name: "no outcome", body: `{"flowRuntimeId":"f1"}`, wantErr: ingest.ErrPayload, msg: "outcome: is required"},
		{name: "odd outcome", body: `{"outcome":"green"}`, wantErr: ingest.ErrPayload, msg: "outcome:"},
		{name: "no runtime", body: `{"outcome":"error"}`, wantErr: ingest.ErrPayload, msg: "flowRuntimeId: is required"},
		{name: "no time", body: `{"outcome":"error","flowRuntimeId":"f"}`, wantErr: ingest.ErrPayload, msg: "finishTime: is required"},
		{name: "unexpanded time", body: `{"outcome":"error","flowRuntimeId":"f","finishTime":"$[/timestamp]"}`, wantErr: ingest.ErrPayload, msg: "unexpanded"},
		{name: "no service", body: `{"outcome":"error","flowRuntimeId":"f","finishTime":"2026-11-20T10:00:00Z","environmentName":"p"}`, wantErr: ingest.ErrPayload, msg: "applicationName:"},
		{name: "aborted", body: `{"outcome":"aborted"}`, wantErr: ingest.ErrIgnored, msg: "aborted"},
		{name: "array", body: `[]`, wantErr: ingest.ErrPayload, msg: "JSON object"},
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

package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
)

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"zen":"Keep it logically awesome."}`)
	for _, tc := range []struct {
		name    string
		secret  string
		header  string
		wantErr bool
	}{
		{name: "good signature", secret: "s3cret", header: sign("s3cret", body)},
		{name: "signature with another secret", secret: "s3cret", header: sign("other", body), wantErr: true},
		{name: "signature of another body", secret: "s3cret", header: sign("s3cret", []byte("{}")), wantErr: true},
		{name: "missing signature", secret: "s3cret", header: "", wantErr: true},
		{name: "sha1 signature", secret: "s3cret", header: "sha1=" + strings.Repeat("0", 40), wantErr: true},
		{name: "not hex", secret: "s3cret", header: "sha256=zz", wantErr: true},
		{name: "no secret configured, no signature", secret: "", header: ""},
		{name: "no secret configured, any signature", secret: "", header: "sha256=00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Options{Secret: tc.secret})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if tc.header != "" {
				h.Set("X-Hub-Signature-256", tc.header)
			}
			err = w.Verify(h, body)
			if tc.wantErr {
				if !errors.Is(err, ingest.ErrUnauthorized) {
					t.Fatalf("Verify = %v, want ErrUnauthorized", err)
				}
				if strings.Contains(err.Error(), tc.secret) {
					t.Fatalf("error %q leaks the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		give    Options
		wantKey string // "" means valid
	}{
		{name: "zero value", give: Options{}},
		{name: "glob and regexp", give: Options{DeployWorkflows: []string{"deploy*", "/^release-(eu|us)$/"}}},
		{name: "bad regexp", give: Options{DeployWorkflows: []string{"ok", "/(/"}}, wantKey: "deploy_workflows[1]"},
		{name: "empty pattern", give: Options{DeployWorkflows: []string{""}}, wantKey: "deploy_workflows[0]"},
		{name: "empty label", give: Options{IncidentLabels: []string{"incident", " "}}, wantKey: "incident_labels[1]"},
		{name: "empty environment", give: Options{ProductionEnvironments: []string{""}}, wantKey: "production_environments[0]"},
		{name: "blank deploy environment", give: Options{DeployEnvironment: " "}, wantKey: "deploy_environment"},
		{name: "repo without owner", give: Options{RepoServices: map[string]string{"checkout": "checkout"}}, wantKey: "repo_services"},
		{name: "empty service", give: Options{RepoServices: map[string]string{"acme/checkout": ""}}, wantKey: "repo_services.acme/checkout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.give.Validate()
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantKey) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.wantKey)
			}
			if _, err := New(tc.give); err == nil {
				t.Fatal("New accepted invalid options")
			}
		})
	}
}

func readPayload(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func event(name string) http.Header {
	h := http.Header{}
	h.Set("X-GitHub-Event", name)
	return h
}

// TestOptionsChangeMapping runs real payloads through non-default options.
func TestOptionsChangeMapping(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      Options
		event     string
		file      string
		wantType  string
		wantEnv   string
		wantSvc   string
		wantID    string
		wantTime  string
		wantError error
	}{
		{
			name: "workflow matching a glob is a deployment", opts: Options{DeployWorkflows: []string{"te*"}},
			event: "workflow_run", file: "workflow_run.completed.json",
			wantType: ingest.TypeDeploymentFinished, wantEnv: "production", wantSvc: "octo-repo",
			wantID: "workflow_run:289782451:1", wantTime: "2020-10-05T16:33:49Z",
		},
		{
			name: "workflow matching a path regexp, custom environment", opts: Options{DeployWorkflows: []string{`/workflows\/test\.yml$/`}, DeployEnvironment: "Prod", RepoServices: map[string]string{"octo-org/octo-repo": "octo"}},
			event: "workflow_run", file: "workflow_run.completed.json",
			wantType: ingest.TypeDeploymentFinished, wantEnv: "prod", wantSvc: "octo",
			wantID: "workflow_run:289782451:1", wantTime: "2020-10-05T16:33:49Z",
		},
		{
			name: "workflow not matching is a build", opts: Options{DeployWorkflows: []string{"deploy"}},
			event: "workflow_run", file: "workflow_run.completed.json",
			wantType: ingest.TypeBuildFinished, wantSvc: "octo-repo", wantID: "workflow_run:289782451:1", wantTime: "2020-10-05T16:33:49Z",
		},
		{
			name: "bug label configured as incident label", opts: Options{IncidentLabels: []string{"Bug"}},
			event: "issues", file: "issues.opened.json",
			wantType: ingest.TypeIncidentOpened, wantEnv: "production", wantSvc: "Hello-World",
			wantID: "issue:Codertocat/Hello-World#1:opened", wantTime: "2019-05-15T15:20:18Z",
		},
		{
			name: "bug label is not an incident by default", opts: Options{},
			event: "issues", file: "issues.opened.json", wantError: ingest.ErrIgnored,
		},
		{
			name: "release as deployment", opts: Options{ReleasesAreDeployments: true},
			event: "release", file: "release.published.json",
			wantType: ingest.TypeDeploymentFinished, wantEnv: "production", wantSvc: "Hello-World",
			wantID: "release:17372790", wantTime: "2019-05-15T15:20:53Z",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			events, err := w.Parse(event(tc.event), readPayload(t, tc.file))
			if tc.wantError != nil {
				if !errors.Is(err, tc.wantError) {
					t.Fatalf("Parse error = %v, want %v", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Fatalf("got %d events, want 1", len(events))
			}
			e := events[0]
			if e.Type != tc.wantType || e.Environment != tc.wantEnv || e.Service != tc.wantSvc || e.ID != tc.wantID || e.Time.Format(time.RFC3339) != tc.wantTime {
				t.Fatalf("got %s %s env=%q svc=%q at %s, want %s %s env=%q svc=%q at %s",
					e.Type, e.ID, e.Environment, e.Service, e.Time.Format(time.RFC3339),
					tc.wantType, tc.wantID, tc.wantEnv, tc.wantSvc, tc.wantTime)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		event   string
		body    string
		want    error
		mention string
	}{
		{name: "malformed JSON", event: "push", body: `{"ref":`, want: ingest.ErrPayload, mention: "not JSON"},
		{name: "missing event header", event: "", body: `{}`, want: ingest.ErrPayload, mention: "X-GitHub-Event"},
		{name: "wrong field type", event: "push", body: `{"commits":"many"}`, want: ingest.ErrPayload, mention: "commits"},
		{name: "commit without timestamp", event: "push", body: `{"repository":{"full_name":"a/b"},"commits":[{"id":"abc"}]}`, want: ingest.ErrPayload, mention: "commits[0].timestamp"},
		{name: "commit time without offset", event: "push", body: `{"repository":{"full_name":"a/b"},"commits":[{"id":"abc","timestamp":"2024-01-02T03:04:05"}]}`, want: ingest.ErrPayload, mention: "offset"},
		{name: "merged PR without merged_at", event: "pull_request", body: `{"action":"closed","repository":{"full_name":"a/b"},"pull_request":{"number":1,"merged":true}}`, want: ingest.ErrPayload, mention: "merged_at"},
		{name: "PR closed unmerged", event: "pull_request", body: `{"action":"closed","pull_request":{"merged":false}}`, want: ingest.ErrIgnored, mention: "without merging"},
		{name: "deployment in progress", event: "deployment_status", body: `{"deployment_status":{"state":"in_progress"}}`, want: ingest.ErrIgnored, mention: "in_progress"},
		{name: "cancelled run", event: "workflow_run", body: `{"action":"completed","workflow_run":{"conclusion":"cancelled"}}`, want: ingest.ErrIgnored, mention: "cancelled"},
		{name: "actions check run", event: "check_run", body: `{"action":"completed","check_run":{"conclusion":"success","app":{"slug":"github-actions"}}}`, want: ingest.ErrIgnored, mention: "workflow_run"},
		{name: "ping", event: "ping", body: `{"zen":"x"}`, want: ingest.ErrIgnored, mention: "ping"},
		{name: "unknown event", event: "star", body: `{}`, want: ingest.ErrIgnored, mention: "star"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Parse(event(tc.event), []byte(tc.body))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Parse = %v, want %v mentioning %q", err, tc.want, tc.mention)
			}
		})
	}
}

func TestParseFormEncoded(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := readPayload(t, "push.commits.json")
	h := event("push")
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	events, err := w.Parse(h, []byte("payload="+url.QueryEscape(string(body))))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2", len(events))
	}
}

package bitbucket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"push":{"changes":[]}}`)
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
				h.Set("X-Hub-Signature", tc.header)
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

func TestParseErrors(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, body, mention string
		want                     error
	}{
		{name: "malformed JSON", key: "repo:push", body: `{"push":`, want: ingest.ErrPayload, mention: "not JSON"},
		{name: "missing event key", key: "", body: `{}`, want: ingest.ErrPayload, mention: "X-Event-Key"},
		{name: "wrong field type", key: "repo:push", body: `{"push":{"changes":{}}}`, want: ingest.ErrPayload, mention: "changes"},
		{name: "branch deleted", key: "repo:push", body: `{"push":{"changes":[{"new":null,"commits":[]}]}}`, want: ingest.ErrIgnored, mention: "no commits"},
		{name: "commit without date", key: "repo:push", body: `{"repository":{"full_name":"a/b"},"push":{"changes":[{"commits":[{"hash":"abc"}]}]}}`, want: ingest.ErrPayload, mention: "commits[0].date"},
		{name: "merged PR without hashes", key: "pullrequest:fulfilled", body: `{"repository":{"full_name":"a/b"},"pullrequest":{"id":1,"state":"MERGED","updated_on":"2024-01-01T00:00:00+00:00"}}`, want: ingest.ErrPayload, mention: "merge_commit"},
		{name: "status in progress", key: "repo:commit_status_updated", body: `{"commit_status":{"state":"INPROGRESS"}}`, want: ingest.ErrIgnored, mention: "INPROGRESS"},
		{name: "status stopped", key: "repo:commit_status_updated", body: `{"commit_status":{"state":"STOPPED"}}`, want: ingest.ErrIgnored, mention: "STOPPED"},
		{name: "status created", key: "repo:commit_status_created", body: `{}`, want: ingest.ErrIgnored, mention: "not finished"},
		{name: "declined PR", key: "pullrequest:rejected", body: `{}`, want: ingest.ErrIgnored, mention: "pullrequest:rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.key != "" {
				h.Set("X-Event-Key", tc.key)
			}
			_, err := w.Parse(h, []byte(tc.body))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Parse = %v, want %v mentioning %q", err, tc.want, tc.mention)
			}
		})
	}
}

func TestCommitStatusWithoutDeployWorkflows(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(testdataDir, "repo_commit_status_updated.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("X-Event-Key", "repo:commit_status_updated")
	events, err := w.Parse(h, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Type != ingest.TypeBuildFinished {
		t.Fatalf("got %+v, want one build.finished", events)
	}
}

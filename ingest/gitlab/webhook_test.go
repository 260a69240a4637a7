package gitlab

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
)

func TestVerify(t *testing.T) {
	body := []byte(`{"object_kind":"push"}`)
	for _, tc := range []struct {
		name    string
		secret  string
		token   string
		wantErr bool
	}{
		{name: "good token", secret: "s3cret", token: "s3cret"},
		{name: "wrong token", secret: "s3cret", token: "s3cres", wantErr: true},
		{name: "prefix of the token", secret: "s3cret", token: "s3c", wantErr: true},
		{name: "missing token", secret: "s3cret", token: "", wantErr: true},
		{name: "no secret configured, no token", secret: "", token: ""},
		{name: "no secret configured, any token", secret: "", token: "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Options{Secret: tc.secret})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if tc.token != "" {
				h.Set("X-Gitlab-Token", tc.token)
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
		wantKey string
	}{
		{name: "zero value", give: Options{}},
		{name: "glob and regexp", give: Options{DeployWorkflows: []string{"deploy*", "/^release-.*$/"}}},
		{name: "bad regexp", give: Options{DeployWorkflows: []string{"/[/"}}, wantKey: "deploy_workflows[0]"},
		{name: "empty label", give: Options{IncidentLabels: []string{""}}, wantKey: "incident_labels[0]"},
		{name: "project without group", give: Options{RepoServices: map[string]string{"diaspora": "d"}}, wantKey: "repo_services"},
		{name: "empty service", give: Options{RepoServices: map[string]string{"mike/diaspora": " "}}, wantKey: "repo_services.mike/diaspora"},
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

func TestOptionsChangeMapping(t *testing.T) {
	for _, tc := range []struct {
		name                             string
		opts                             Options
		file                             string
		wantType, wantEnv, wantSvc, want string
	}{
		{
			name: "pipeline on a deploy ref is a deployment", opts: Options{DeployWorkflows: []string{"master"}},
			file: "pipeline.success.json", wantType: ingest.TypeDeploymentFinished, wantEnv: "production", wantSvc: "gitlab-test",
			want: "pipeline:31:1471015589 2016-08-12T15:26:29Z",
		},
		{
			name: "pipeline with a custom deploy environment and service", opts: Options{DeployWorkflows: []string{"/^mast/"}, DeployEnvironment: "live", RepoServices: map[string]string{"gitlab-org/gitlab-test": "test-svc"}},
			file: "pipeline.success.json", wantType: ingest.TypeDeploymentFinished, wantEnv: "live", wantSvc: "test-svc",
			want: "pipeline:31:1471015589 2016-08-12T15:26:29Z",
		},
		{
			name: "API label configured as incident label", opts: Options{IncidentLabels: []string{"api"}},
			file: "issue.open.json", wantType: ingest.TypeIncidentOpened, wantEnv: "production", wantSvc: "gitlab-test",
			want: "issue:gitlabhq/gitlab-test#23:opened 2013-12-03T17:15:43Z",
		},
		{
			name: "production environment spelled by config", opts: Options{ProductionEnvironments: []string{"Staging"}},
			file: "deployment.success.json", wantType: ingest.TypeDeploymentFinished, wantEnv: "Staging", wantSvc: "test-deployment-webhooks",
			want: "deployment:15 2021-04-28T19:50:00Z",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			events, err := w.Parse(http.Header{}, readPayload(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Fatalf("got %d events, want 1", len(events))
			}
			e := events[0]
			got := e.ID + " " + e.Time.Format(time.RFC3339)
			if e.Type != tc.wantType || e.Environment != tc.wantEnv || e.Service != tc.wantSvc || got != tc.want {
				t.Fatalf("got %s %q env=%q svc=%q, want %s %q env=%q svc=%q", e.Type, got, e.Environment, e.Service, tc.wantType, tc.want, tc.wantEnv, tc.wantSvc)
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
		name, header, body, mention string
		want                        error
	}{
		{name: "malformed JSON", body: `{"object_kind":`, want: ingest.ErrPayload, mention: "not JSON"},
		{name: "no kind at all", body: `{}`, want: ingest.ErrPayload, mention: "object_kind"},
		{name: "kind from header", header: "Pipeline Hook", body: `{"object_attributes":{"status":"running"}}`, want: ingest.ErrIgnored, mention: "running"},
		{name: "wrong field type", body: `{"object_kind":"push","commits":{}}`, want: ingest.ErrPayload, mention: "commits"},
		{name: "time without zone", body: `{"object_kind":"push","project":{"path_with_namespace":"a/b"},"commits":[{"id":"a","timestamp":"2021-01-20 10:07:04"}]}`, want: ingest.ErrPayload, mention: "commits[0].timestamp"},
		{name: "merge request opened", body: `{"object_kind":"merge_request","object_attributes":{"action":"open"}}`, want: ingest.ErrIgnored, mention: "open"},
		{name: "canceled pipeline", body: `{"object_kind":"pipeline","object_attributes":{"status":"canceled"}}`, want: ingest.ErrIgnored, mention: "canceled"},
		{name: "running deployment", body: `{"object_kind":"deployment","status":"running"}`, want: ingest.ErrIgnored, mention: "running"},
		{name: "deployment without environment", body: `{"object_kind":"deployment","status":"success","deployment_id":1,"project":{"path_with_namespace":"a/b"}}`, want: ingest.ErrPayload, mention: "environment"},
		{name: "tag push", body: `{"object_kind":"tag_push"}`, want: ingest.ErrIgnored, mention: "tag_push"},
		{name: "issue label edit without incident", body: `{"object_kind":"issue","object_attributes":{"action":"update","labels":[{"title":"bug"}]}}`, want: ingest.ErrIgnored, mention: "not an incident"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("X-Gitlab-Event", tc.header)
			}
			_, err := w.Parse(h, []byte(tc.body))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Parse = %v, want %v mentioning %q", err, tc.want, tc.mention)
			}
		})
	}
}

func TestIssueLabelAddedOpensIncident(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"object_kind":"issue","project":{"path_with_namespace":"acme/shop"},
	 "object_attributes":{"iid":7,"action":"update","created_at":"2024-03-01 10:00:00 +0100","labels":[{"title":"Incident"}]},
	 "changes":{"labels":{"previous":[],"current":[{"title":"Incident"}]}}}`
	events, err := w.Parse(http.Header{}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Type != ingest.TypeIncidentOpened || events[0].ID != "issue:acme/shop#7:opened" || !events[0].Time.Equal(time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %+v", events)
	}
}

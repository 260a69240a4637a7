package azuredevops

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
	body := []byte(`{"eventType":"git.push"}`)
	for _, tc := range []struct {
		name               string
		user, pass         string // configured
		sendUser, sendPass string
		send               bool
		wantErr            bool
	}{
		{name: "good credentials", user: "hook", pass: "s3cret", sendUser: "hook", sendPass: "s3cret", send: true},
		{name: "wrong password", user: "hook", pass: "s3cret", sendUser: "hook", sendPass: "s3cres", send: true, wantErr: true},
		{name: "wrong user", user: "hook", pass: "s3cret", sendUser: "hooks", sendPass: "s3cret", send: true, wantErr: true},
		{name: "missing credentials", user: "hook", pass: "s3cret", wantErr: true},
		{name: "username only configured", user: "hook", sendUser: "hook", send: true},
		{name: "nothing configured, nothing sent"},
		{name: "nothing configured, anything sent", sendUser: "x", sendPass: "y", send: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Options{Username: tc.user, Password: tc.pass})
			if err != nil {
				t.Fatal(err)
			}
			r, _ := http.NewRequest(http.MethodPost, "/", nil)
			if tc.send {
				r.SetBasicAuth(tc.sendUser, tc.sendPass)
			}
			err = w.Verify(r.Header, body)
			if tc.wantErr {
				if !errors.Is(err, ingest.ErrUnauthorized) {
					t.Fatalf("Verify = %v, want ErrUnauthorized", err)
				}
				if tc.pass != "" && strings.Contains(err.Error(), tc.pass) {
					t.Fatalf("error %q leaks the password", err)
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
		{name: "full", give: Options{Username: "u", Password: "p", DeployWorkflows: []string{"*-CD", "/^deploy/"}, PipelineServices: map[string]string{"Fabrikam.CD": "fabrikam"}}},
		{name: "password without username", give: Options{Password: "p"}, wantKey: "username"},
		{name: "bad regexp", give: Options{DeployWorkflows: []string{"/(?/"}}, wantKey: "deploy_workflows[0]"},
		{name: "repo without project", give: Options{RepoServices: map[string]string{"Fabrikam": "f"}}, wantKey: "repo_services"},
		{name: "empty pipeline service", give: Options{PipelineServices: map[string]string{"Fabrikam.CD": ""}}, wantKey: "pipeline_services.Fabrikam.CD"},
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
			name: "build pipeline matching DeployWorkflows is a deployment", opts: Options{DeployWorkflows: []string{"mainrepo-*"}},
			file: "build.complete.json", wantType: ingest.TypeDeploymentFinished, wantEnv: "production", wantSvc: "MainRepo",
			want: "build:2727068:1669983668 2022-12-02T12:21:08Z",
		},
		{
			name: "release pipeline mapped to a service", opts: Options{PipelineServices: map[string]string{"Fabrikam.CD": "fabrikam-web"}},
			file: "release.deployment-completed.json", wantType: ingest.TypeDeploymentFinished, wantEnv: "production", wantSvc: "fabrikam-web",
			want: "release_deployment:118 2024-05-14T09:41:37Z",
		},
		{
			name: "repository mapped to a service", opts: Options{RepoServices: map[string]string{"Fabrikam-Fiber-Git/Fabrikam-Fiber-Git": "fiber"}},
			file: "git.push.json", wantType: ingest.TypeChangeCommitted, wantSvc: "fiber",
			want: "push:33b55f7cb7e7e245323987634f960cf4a6e6bc74 2015-02-25T19:01:00Z",
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
		name, body, mention string
		want                error
	}{
		{name: "malformed JSON", body: `{"eventType":`, want: ingest.ErrPayload, mention: "not JSON"},
		{name: "no eventType", body: `{"id":"x"}`, want: ingest.ErrPayload, mention: "eventType"},
		{name: "no resource", body: `{"eventType":"git.push"}`, want: ingest.ErrPayload, mention: "resource"},
		{name: "wrong field type", body: `{"eventType":"git.push","resource":{"commits":7}}`, want: ingest.ErrPayload, mention: "commits"},
		{name: "active PR merge attempt", body: `{"eventType":"git.pullrequest.merged","resource":{"status":"active","mergeStatus":"succeeded"}}`, want: ingest.ErrIgnored, mention: "active"},
		{name: "PR merge conflicts", body: `{"eventType":"git.pullrequest.merged","resource":{"status":"completed","mergeStatus":"conflicts"}}`, want: ingest.ErrIgnored, mention: "conflicts"},
		{name: "canceled build", body: `{"eventType":"build.complete","resource":{"status":"completed","result":"canceled"}}`, want: ingest.ErrIgnored, mention: "canceled"},
		{name: "build without finish time", body: `{"eventType":"build.complete","resource":{"id":1,"result":"succeeded","definition":{"name":"ci"}}}`, want: ingest.ErrPayload, mention: "finishTime"},
		{name: "canceled release", body: `{"eventType":"ms.vss-release.deployment-completed-event","resource":{"environment":{"status":"canceled"}}}`, want: ingest.ErrIgnored, mention: "canceled"},
		{name: "work item", body: `{"eventType":"workitem.updated","resource":{}}`, want: ingest.ErrIgnored, mention: "workitem.updated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Parse(http.Header{}, []byte(tc.body))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Parse = %v, want %v mentioning %q", err, tc.want, tc.mention)
			}
		})
	}
}

// TestOldBuildPayload checks the XAML-era build.complete shape of the docs:
// the result in status and the commit in sourceGetVersion.
func TestOldBuildPayload(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id":"4a5d99d6-1c75-4e53-91b9-ee80057d4ce3","eventType":"build.complete","resource":{"id":2,
	 "finishTime":"2015-04-07T18:06:10.69Z","status":"succeeded",
	 "sourceGetVersion":"LG:refs/heads/master:600c52d2d5b655caa111abfd863e5a9bd304bb0e",
	 "definition":{"id":2,"name":"ConsumerAddressModule"}}}`
	events, err := w.Parse(http.Header{}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if e.Outcome != "success" || e.Service != "ConsumerAddressModule" || len(e.Commits) != 1 || e.Commits[0] != "600c52d2d5b655caa111abfd863e5a9bd304bb0e" || e.Attributes["branch"] != "refs/heads/master" {
		t.Fatalf("got %+v", e)
	}
}

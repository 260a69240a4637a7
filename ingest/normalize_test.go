package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCompilePatterns(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pats    []string
		match   []string
		nomatch []string
		err     string
	}{
		{name: "glob", pats: []string{"deploy*"}, match: []string{"deploy", "Deploy-prod"}, nomatch: []string{"pre-deploy", "build"}},
		{name: "question mark is one character", pats: []string{"v?"}, match: []string{"v1"}, nomatch: []string{"v", "v12"}},
		{name: "meta characters are literal in globs", pats: []string{"a.b"}, match: []string{"a.b"}, nomatch: []string{"axb"}},
		{name: "regexp between slashes is unanchored", pats: []string{"/prod|eu/"}, match: []string{"deploy-PROD", "eu-west"}, nomatch: []string{"staging"}},
		{name: "empty entry", pats: []string{"a", " "}, err: "deploy_workflows[1]: must not be empty"},
		{name: "bad regexp", pats: []string{"/(/"}, err: `deploy_workflows[0]: "/(/" is not a valid pattern: `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := CompilePatterns("deploy_workflows", tc.pats)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to start with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.match {
				if !MatchAny(res, "", n) {
					t.Errorf("%q does not match %q", n, tc.pats)
				}
			}
			for _, n := range tc.nomatch {
				if MatchAny(res, n) {
					t.Errorf("%q matches %q", n, tc.pats)
				}
			}
		})
	}
	res, _ := CompilePatterns("k", []string{"*"})
	if MatchAny(res, "") {
		t.Error("an empty name matched")
	}
}

func TestDeliveryOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    DeliveryOptions
		err  string
	}{
		{name: "zero value", o: DeliveryOptions{}},
		{name: "bad pattern", o: DeliveryOptions{DeployWorkflows: []string{""}}, err: "deploy_workflows[0]: must not be empty"},
		{name: "blank environment", o: DeliveryOptions{DeployEnvironment: " "}, err: "deploy_environment: must not be blank"},
		{name: "empty production environment", o: DeliveryOptions{ProductionEnvironments: []string{"prod", ""}}, err: "production_environments[1]: must not be empty"},
		{name: "empty label", o: DeliveryOptions{IncidentLabels: []string{" "}}, err: "incident_labels[0]: must not be empty"},
		{name: "repo without slash", o: DeliveryOptions{RepoServices: map[string]string{"repo": "svc"}}, err: `repo_services: key "repo" must be a path like a/b`},
		{name: "empty service", o: DeliveryOptions{RepoServices: map[string]string{"a/b": " "}}, err: "repo_services.a/b: service must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate("a path like a/b")
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Fatalf("Validate = %v, want %q", err, tc.err)
			}
		})
	}
	d := DeliveryOptions{}.WithDefaults()
	want := DeliveryOptions{DeployEnvironment: "production", ProductionEnvironments: []string{"production", "prod"}, IncidentLabels: []string{"incident"}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("WithDefaults = %+v, want %+v", d, want)
	}
	set := DeliveryOptions{DeployEnvironment: "live", ProductionEnvironments: []string{"live"}, IncidentLabels: []string{"sev1"}}
	if got := set.WithDefaults(); !reflect.DeepEqual(got, set) {
		t.Errorf("WithDefaults overwrote set options: %+v", got)
	}
}

func TestServiceAndEnvironment(t *testing.T) {
	services := map[string]string{"acme/api": "payments"}
	for repo, want := range map[string]string{"acme/api": "payments", "acme/web": "web", "g/sub/proj": "proj", "solo": "solo"} {
		if got := ServiceOf(repo, services); got != want {
			t.Errorf("ServiceOf(%q) = %q, want %q", repo, got, want)
		}
	}
	prod := []string{"production", "prod"}
	for env, want := range map[string]string{" Production ": "production", "PROD": "prod", " staging ": "staging", "": ""} {
		if got := CanonicalEnvironment(env, prod); got != want {
			t.Errorf("CanonicalEnvironment(%q) = %q, want %q", env, got, want)
		}
	}
	if !HasLabel(" Incident", []string{"incident "}) || HasLabel("bug", []string{"incident"}) {
		t.Error("HasLabel does not compare labels case-insensitively and trimmed")
	}
}

func TestFinish(t *testing.T) {
	ok := Event{ID: "d1", Type: TypeDeploymentFinished, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Subject: "d1",
		Service: "api", Environment: "production", Outcome: "success"}
	evs, err := Finish("tool", "deployment", []Event{ok})
	if err != nil || len(evs) != 1 || evs[0].Source != "tool" {
		t.Fatalf("Finish = %+v, %v; want the event with source tool", evs, err)
	}
	bad := ok
	bad.ID, bad.Service = "d2", ""
	evs, err = Finish("tool", "deployment", []Event{ok, bad})
	var items ItemErrors
	if !errors.Is(err, ErrPayload) || !errors.As(err, &items) || len(items) != 1 || items[0].Item != "deployment event d2" ||
		!strings.Contains(err.Error(), "deployment event d2: service: is required") {
		t.Fatalf("Finish of an invalid event = %v, want ErrPayload item errors naming the payload, event and field", err)
	}
	if len(evs) != 1 || evs[0].ID != "d1" {
		t.Fatalf("Finish kept %+v, want the valid event d1 beside the error", evs)
	}
	// A parse error that is not about items is returned as it is.
	if evs, err := FinishWith("tool", "deployment", []Event{ok}, ErrIgnored); evs != nil || err != ErrIgnored {
		t.Fatalf("FinishWith(ErrIgnored) = %v, %v", evs, err)
	}
}

func TestDecodeJSON(t *testing.T) {
	var v struct {
		N int `json:"n"`
	}
	for _, tc := range []struct {
		body, want string
	}{
		{`{"n": 1}`, ""},
		{`{"n": "x"}`, "bad payload: push: field n must be a whole number, not string"},
		{`{"n": {"a": 1}}`, "bad payload: push: field n must be a whole number, not object"},
		{`[`, "bad payload: push: unexpected end of JSON input"},
	} {
		err := DecodeJSON("push", []byte(tc.body), &v)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want || !errors.Is(err, ErrPayload)) {
			t.Errorf("DecodeJSON(%s) = %v, want %q", tc.body, err, tc.want)
		}
	}
	if got := JSONSyntaxError([]byte(`{"a":}`)); got != "invalid character '}' looking for beginning of value at byte 6" {
		t.Errorf("JSONSyntaxError = %q", got)
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := FirstLine("  Fix bug \nbody\n"); got != "Fix bug" {
		t.Errorf("FirstLine = %q", got)
	}
	if got := CommitIDs(" ABC ", "", "abc", "def"); !reflect.DeepEqual(got, []string{"abc", "def"}) {
		t.Errorf("CommitIDs = %q", got)
	}
	if got := Attrs("a", "1", "b", "", "c"); !reflect.DeepEqual(got, map[string]string{"a": "1"}) {
		t.Errorf("Attrs = %v", got)
	}
}

func TestCheckSHA256Signature(t *testing.T) {
	body := []byte(`{"a":1}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	for _, tc := range []struct {
		name, sig, want string
	}{
		{name: "good", sig: good},
		{name: "missing", sig: "", want: "X-Sig header is missing"},
		{name: "sha1", sig: "sha1=00", want: "X-Sig must start with sha256="},
		{name: "not hex", sig: "sha256=zz", want: "X-Sig is not hex"},
		{name: "other body", sig: "sha256=" + strings.Repeat("0", 64), want: "X-Sig does not match the body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSHA256Signature("X-Sig", tc.sig, "s3cret", body)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrUnauthorized) || !strings.HasSuffix(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("err = %v, want ErrUnauthorized ending %q without the secret", err, tc.want)
			}
		})
	}
	if !EqualSecret("tok", "tok") || EqualSecret("tok", "tok2") || EqualSecret("", "tok") {
		t.Error("EqualSecret compares wrongly")
	}
}

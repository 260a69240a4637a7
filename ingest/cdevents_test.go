package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// updateGolden reports whether -update was given. The flag is registered in
// init, not in a package-level var, on purpose: every package-level var of
// the test binary is initialised before any init runs, so if another test
// file of this package declares its own -update flag we reuse it instead of
// panicking with "flag redefined".
var updateFlag *bool

func init() {
	if f := flag.Lookup("update"); f != nil {
		return
	}
	updateFlag = flag.Bool("update", false, "rewrite golden files")
}

func updateGolden() bool {
	if updateFlag != nil {
		return *updateFlag
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// cdeventsGolden is what a golden file holds for one CDEvent.
type cdeventsGolden struct {
	Event    *Event   `json:"event,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func TestMapCDEventGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "cdevents", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			inputs = append(inputs, f)
		}
	}
	if len(inputs) < 6 {
		t.Fatalf("found %d CDEvents examples in testdata/cdevents, want at least the 6 conformance ones", len(inputs))
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			if !IsCDEvent(raw) {
				t.Errorf("IsCDEvent(%s) = false", name)
			}
			var got cdeventsGolden
			ev, warns, err := MapCDEvent(raw)
			if err != nil {
				got.Error = err.Error()
			} else {
				got.Event, got.Warnings = &ev, warns
				again := ev
				again.Normalize()
				if err := again.Validate(); err != nil {
					t.Errorf("mapped event does not validate: %v", err)
				}
			}
			compareGolden(t, strings.TrimSuffix(in, ".json")+".golden.json", got)
		})
	}
}

func compareGolden(t testing.TB, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if updateGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ingest/ -run TestMapCDEventGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// cdevent builds a CDEvent document from a context type and subject content,
// with overrides applied to the context.
func cdevent(typ string, content string, ctx map[string]any, extra map[string]any) []byte {
	c := map[string]any{
		"specversion": "0.5.0",
		"id":          "ev-1",
		"source":      "/tekton/prod",
		"type":        typ,
		"timestamp":   "2026-11-20T10:04:00.5+01:00",
	}
	for k, v := range ctx {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	doc := map[string]any{
		"context": c,
		"subject": map[string]any{"id": "sub-1", "content": json.RawMessage(content)},
	}
	for k, v := range extra {
		doc[k] = v
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

func TestMapCDEvent(t *testing.T) {
	const deployed = `{"environment":{"id":"production"},"artifactId":"pkg:oci/checkout@9f1c2e0a?repository_url=ghcr.io/acme"}`
	for _, tc := range []struct {
		name    string
		give    []byte
		check   func(t *testing.T, e Event, warns []string)
		wantErr string
	}{
		{
			name: "service.deployed with commit version",
			give: cdevent("dev.cdevents.service.deployed.0.2.0", deployed, nil, nil),
			check: func(t *testing.T, e Event, warns []string) {
				want := Event{ID: "ev-1", Source: "/tekton/prod", Type: TypeDeploymentFinished, Subject: "sub-1",
					Service: "checkout", Environment: "production", Outcome: "success", Commits: []string{"9f1c2e0a"}}
				if e.ID != want.ID || e.Source != want.Source || e.Type != want.Type || e.Subject != want.Subject ||
					e.Service != want.Service || e.Environment != want.Environment || e.Outcome != want.Outcome ||
					strings.Join(e.Commits, ",") != "9f1c2e0a" {
					t.Errorf("got %+v, want %+v", e, want)
				}
				if got := e.Time.Format("2006-01-02T15:04:05Z07:00"); got != "2026-11-20T09:04:00Z" {
					t.Errorf("time = %s, want UTC truncated 2026-11-20T09:04:00Z", got)
				}
				if len(warns) != 0 {
					t.Errorf("warnings = %q, want none", warns)
				}
			},
		},
		{
			name: "v0.4 version key",
			give: cdevent("dev.cdevents.service.upgraded.0.1.1", deployed, map[string]any{"specversion": nil, "version": "0.4.1"}, nil),
			check: func(t *testing.T, e Event, _ []string) {
				if e.Type != TypeDeploymentFinished || e.Kind != "" {
					t.Errorf("got type %q kind %q", e.Type, e.Kind)
				}
			},
		},
		{
			name: "rolledback is a rollback",
			give: cdevent("dev.cdevents.service.rolledback.0.2.0", deployed, nil, nil),
			check: func(t *testing.T, e Event, _ []string) {
				if e.Kind != "rollback" || e.Outcome != "success" {
					t.Errorf("kind %q outcome %q, want rollback success", e.Kind, e.Outcome)
				}
			},
		},
		{
			name: "vcs_url qualifier commit, OCI digest ignored",
			give: cdevent("dev.cdevents.service.deployed.0.2.0",
				`{"environment":{"id":"prod"},"artifactId":"pkg:oci/web@sha256%3Aabcdef0123456789?vcs_url=git%2Bhttps://github.com/acme/web.git%40AB12CD34EF"}`, nil, nil),
			check: func(t *testing.T, e Event, _ []string) {
				if strings.Join(e.Commits, ",") != "ab12cd34ef" || e.Service != "web" {
					t.Errorf("commits %q service %q", e.Commits, e.Service)
				}
			},
		},
		{
			name: "customData commits win",
			give: cdevent("dev.cdevents.service.deployed.0.2.0", deployed, nil,
				map[string]any{"customData": map[string]any{"commits": []string{"aaa1111", "bbb2222"}, "team": "payments"}}),
			check: func(t *testing.T, e Event, _ []string) {
				if strings.Join(e.Commits, ",") != "aaa1111,bbb2222" || e.Attributes["customData.team"] != "payments" {
					t.Errorf("commits %q attributes %v", e.Commits, e.Attributes)
				}
				if _, ok := e.Attributes["customData.commits"]; ok {
					t.Error("consumed customData.commits also kept as attribute")
				}
			},
		},
		{
			name:    "deployed without environment",
			give:    cdevent("dev.cdevents.service.deployed.0.2.0", `{"artifactId":"pkg:oci/x@1"}`, nil, nil),
			wantErr: "subject.content.environment.id: is required",
		},
		{
			name:    "deployed without artifact",
			give:    cdevent("dev.cdevents.service.deployed.0.2.0", `{"environment":{"id":"prod"}}`, nil, nil),
			wantErr: "subject.content.artifactId: is required",
		},
		{
			name: "pipelinerun cancel is failure",
			give: cdevent("dev.cdevents.pipelinerun.finished.0.2.0", `{"pipelineName":"p","outcome":"cancel"}`, nil, nil),
			check: func(t *testing.T, e Event, _ []string) {
				if e.Type != TypeBuildFinished || e.Outcome != "failure" || e.Attributes["outcome"] != "cancel" || e.Attributes["pipelineName"] != "p" {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name:    "pipelinerun without outcome",
			give:    cdevent("dev.cdevents.pipelinerun.finished.0.2.0", `{"pipelineName":"p"}`, nil, nil),
			wantErr: "subject.content.outcome: is required",
		},
		{
			name: "build.finished without artifact is failure",
			give: cdevent("dev.cdevents.build.finished.0.2.0", `{}`, nil, nil),
			check: func(t *testing.T, e Event, warns []string) {
				if e.Outcome != "failure" || len(warns) != 1 {
					t.Errorf("outcome %q warnings %q", e.Outcome, warns)
				}
			},
		},
		{
			name:    "incident without service",
			give:    cdevent("dev.cdevents.incident.reported.0.2.0", `{"description":"down"}`, nil, nil),
			wantErr: "subject.content.service.id: is required",
		},
		{
			name: "ticket bug is a defect",
			give: cdevent("dev.cdevents.ticket.created.0.1.0", `{"summary":"s","ticketType":"bug","labels":["a","b"],"x":{"y":{"z":1}}}`, nil, nil),
			check: func(t *testing.T, e Event, _ []string) {
				if e.Type != TypeWorkItemCreated || e.Kind != "defect" || e.Attributes["labels"] != `["a","b"]` || e.Attributes["x"] != `{"y":{"z":1}}` {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name: "custom schemaUri is a warning",
			give: cdevent("dev.cdevents.ticket.closed.0.1.0", `{}`, map[string]any{"schemaUri": "https://acme.example/s.json"}, nil),
			check: func(t *testing.T, e Event, warns []string) {
				if len(warns) != 1 || !strings.Contains(warns[0], "context.schemaUri") {
					t.Errorf("warnings %q", warns)
				}
			},
		},
		{
			name:    "unsupported type",
			give:    cdevent("dev.cdevents.taskrun.started.0.2.0", `{}`, nil, nil),
			wantErr: `unsupported CDEvents type "dev.cdevents.taskrun.started.0.2.0"`,
		},
		{
			name:    "version 1.x rejected",
			give:    cdevent("dev.cdevents.service.deployed.1.0.0", deployed, nil, nil),
			wantErr: "context.type: event version",
		},
		{
			name:    "not a cdevents type",
			give:    cdevent("com.example.deployed", deployed, nil, nil),
			wantErr: "context.type:",
		},
		{
			name:    "timestamp without offset",
			give:    cdevent("dev.cdevents.service.deployed.0.2.0", deployed, map[string]any{"timestamp": "2026-11-20T10:04:00"}, nil),
			wantErr: "context.timestamp: \"2026-11-20T10:04:00\" has no UTC offset",
		},
		{
			name:    "missing id",
			give:    cdevent("dev.cdevents.service.deployed.0.2.0", deployed, map[string]any{"id": nil}, nil),
			wantErr: "context.id: is required",
		},
		{
			name:    "numeric source",
			give:    cdevent("dev.cdevents.service.deployed.0.2.0", deployed, map[string]any{"source": 7}, nil),
			wantErr: "context.source: must be a string",
		},
		{
			name:    "oversized id names the CDEvents field",
			give:    cdevent("dev.cdevents.service.deployed.0.2.0", deployed, map[string]any{"id": strings.Repeat("x", 600)}, nil),
			wantErr: "context.id: is longer than 512 bytes (mapped to id)",
		},
		{
			name:    "no context",
			give:    []byte(`{"subject":{"id":"x"}}`),
			wantErr: "context: is required",
		},
		{
			name:    "not an object",
			give:    []byte(`[1,2]`),
			wantErr: "cdevent: must be a JSON object",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, warns, err := MapCDEvent(tc.give)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if err := e.Validate(); err != nil {
				t.Fatalf("result does not validate: %v", err)
			}
			tc.check(t, e, warns)
		})
	}
}

func TestMapCDEventUnsupportedIsTyped(t *testing.T) {
	_, _, err := MapCDEvent(cdevent("dev.cdevents.artifact.published.0.1.0", `{}`, nil, nil))
	var u *UnsupportedCDEventError
	if !errors.As(err, &u) || u.Type != "dev.cdevents.artifact.published.0.1.0" {
		t.Fatalf("err = %v, want *UnsupportedCDEventError naming the type", err)
	}
}

func TestIsCDEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		give string
		want bool
	}{
		{"v0.5", `{"context":{"specversion":"0.5.0","type":"dev.cdevents.build.finished.0.2.0"}}`, true},
		{"v0.4", `{"context":{"version":"0.4.1","type":"dev.cdevents.build.finished.0.1.1"}}`, true},
		{"no spec version", `{"context":{"type":"dev.cdevents.build.finished.0.2.0"}}`, false},
		{"other type", `{"context":{"specversion":"0.5.0","type":"com.github.push"}}`, false},
		{"generic event", `{"id":"1","type":"build.finished"}`, false},
		{"context not object", `{"context":"x"}`, false},
		{"array", `[{"context":{}}]`, false},
		{"empty", ``, false},
		{"garbage", `{"context":`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsCDEvent([]byte(tc.give)); got != tc.want {
				t.Errorf("IsCDEvent(%s) = %v, want %v", tc.give, got, tc.want)
			}
		})
	}
}

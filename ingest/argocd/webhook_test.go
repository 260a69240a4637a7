package argocd

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/ingest"
)

var goldenOptions = Options{NamespaceEnvironments: map[string]string{"checkout-prod": "production", "ingress-prod": "production"}}

func fuzzHeaders(string) http.Header { return http.Header{} }

const configMap = "../../deploy/argocd/argocd-notifications-cm.yaml"

// renderTemplate renders the webhook body of one template of the shipped
// ConfigMap the way the notifications engine does: text/template over
// {"app": <Application as a generic map>}, with Sprig's toJson.
func renderTemplate(tb testing.TB, name string, app map[string]any) []byte {
	tb.Helper()
	raw, err := os.ReadFile(configMap)
	if err != nil {
		tb.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		tb.Fatalf("%s: %v", configMap, err)
	}
	var tmpl struct {
		Webhook map[string]struct {
			Method string `yaml:"method"`
			Body   string `yaml:"body"`
		} `yaml:"webhook"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["template."+name]), &tmpl); err != nil {
		tb.Fatalf("template.%s: %v", name, err)
	}
	hook, ok := tmpl.Webhook["throughline"]
	if !ok || hook.Method != "POST" || hook.Body == "" {
		tb.Fatalf("template.%s has no POST webhook.throughline body", name)
	}
	funcs := template.FuncMap{"toJson": func(v any) string {
		b, _ := json.Marshal(v) // Sprig's toJson
		return string(b)
	}}
	t, err := template.New(name).Funcs(funcs).Parse(hook.Body)
	if err != nil {
		tb.Fatalf("template.%s: %v", name, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, map[string]any{"app": app}); err != nil {
		tb.Fatalf("template.%s: %v", name, err)
	}
	return out.Bytes()
}

// TestTemplatesRenderTestdata renders the shipped templates over sample
// Applications and checks that the result is the testdata payload the golden
// test parses, so the parser is tested on exactly what Argo CD would send.
func TestTemplatesRenderTestdata(t *testing.T) {
	apps, err := filepath.Glob(filepath.Join(testdataDir, "apps", "*.app.json"))
	if err != nil || len(apps) == 0 {
		t.Fatalf("no sample Applications: %v", err)
	}
	w, _ := New(goldenOptions)
	for _, p := range apps {
		name := strings.TrimSuffix(filepath.Base(p), ".app.json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var app map[string]any
			if err := json.Unmarshal(raw, &app); err != nil {
				t.Fatal(err)
			}
			tmpl := "app-deployed"
			if strings.HasPrefix(name, "sync-failed") {
				tmpl = "app-sync-failed"
			}
			body := renderTemplate(t, tmpl, app)
			if !json.Valid(body) {
				t.Fatalf("rendered body is not JSON:\n%s", body)
			}
			if _, err := w.Parse(http.Header{}, body); err != nil {
				t.Fatalf("Parse of the rendered body: %v\n%s", err, body)
			}
			file := filepath.Join(testdataDir, name+".json")
			if *update {
				if err := os.WriteFile(file, body, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./ingest/argocd/ -update)", err)
			}
			if !bytes.Equal(want, body) {
				t.Errorf("%s is not what the template renders; got:\n%s", file, body)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name, token, auth, wantErr string
	}{
		{name: "good", token: "t0k", auth: "Bearer t0k"},
		{name: "bad", token: "t0k", auth: "Bearer nope", wantErr: "does not match"},
		{name: "not bearer", token: "t0k", auth: "Basic dDBr", wantErr: "Bearer <token>"},
		{name: "missing", token: "t0k", wantErr: "missing"},
		{name: "unset token accepts", token: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Options{Token: tc.token})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if tc.auth != "" {
				h.Set("Authorization", tc.auth)
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
		{"empty environment", Options{NamespaceEnvironments: map[string]string{"ns": " "}}, "namespace_environments.ns:"},
		{"empty namespace", Options{NamespaceEnvironments: map[string]string{"": "prod"}}, "namespace_environments:"},
		{"blank label", Options{EnvironmentLabel: " "}, "environment_label:"},
		{"blank default", Options{DefaultEnvironment: "\t"}, "default_environment:"},
		{"padded token", Options{Token: " t"}, "token:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.give); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const ok = `{"app":"api","phase":"%s","finished_at":"2026-11-20T10:00:00Z","labels":{"env":"qa"},"destination":{"namespace":"api"},"revision":"1.2.3"}`
	for _, tc := range []struct {
		name    string
		opts    Options
		body    string
		wantErr error
		msg     string
		check   func(ingest.Event) bool
	}{
		{name: "label option, chart version is no commit", opts: Options{EnvironmentLabel: "env"}, body: strings.Replace(ok, "%s", "Error", 1),
			check: func(e ingest.Event) bool {
				return e.Environment == "qa" && e.Outcome == "failure" && e.Commits == nil && e.ID == "api-1.2.3-2026-11-20T10:00:00Z"
			}},
		{name: "default environment", opts: Options{DefaultEnvironment: "production"}, body: strings.Replace(ok, "%s", "Succeeded", 1),
			check: func(e ingest.Event) bool { return e.Environment == "production" && e.Outcome == "success" }},
		{name: "no environment", body: strings.Replace(ok, "%s", "Succeeded", 1), wantErr: ingest.ErrPayload, msg: "destination.namespace"},
		{name: "running", body: strings.Replace(ok, "%s", "Running", 1), wantErr: ingest.ErrIgnored, msg: "Running"},
		{name: "unknown phase", body: strings.Replace(ok, "%s", "Weird", 1), wantErr: ingest.ErrPayload, msg: "phase:"},
		{name: "no app", body: `{"phase":"Succeeded"}`, wantErr: ingest.ErrPayload, msg: "app: is required"},
		{name: "no finished_at", body: `{"app":"a","phase":"Succeeded"}`, wantErr: ingest.ErrPayload, msg: "finished_at: is required"},
		{name: "local finished_at", body: `{"app":"a","phase":"Succeeded","finished_at":"2026-11-20T10:00:00"}`, wantErr: ingest.ErrPayload, msg: "no UTC offset"},
		{name: "not json", body: `{`, wantErr: ingest.ErrPayload, msg: "not the JSON"},
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

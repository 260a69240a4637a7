package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseErrorsNameTheKey(t *testing.T) {
	t.Setenv("TL_TEST_TOKEN", "0123456789abcdef0123")
	for _, tc := range []struct {
		name, give, want string
	}{
		{"unknown top-level key", "listn: x\n", "field listn not found"},
		{"unknown catalog key", "catalog:\n  servces: {}\n", "field servces not found"},
		{"unknown service key", "catalog:\n  services:\n    a: {teem: x}\n", "field teem not found"},
		{"bad duration", "metrics_window: soon\n", `"soon" is not a duration`},
		{"short window", "metrics_window: 10m\n", "metrics_window"},
		{"fast refresh", "metrics_refresh: 5s\n", "metrics_refresh"},
		{"short token", "api_tokens: [abc]\n", "api_tokens[0]"},
		{"missing env", "api_tokens: [\"${TL_NOT_SET_ANYWHERE}\"]\n", "TL_NOT_SET_ANYWHERE"},
		{"repo in two services", "catalog:\n  services:\n    a: {repos: [x/y]}\n    b: {repos: [x/y]}\n", "catalog.services.b.repos"},
		{"portfolio without product", "catalog:\n  services:\n    a: {portfolio: p}\n", "catalog.services.a.portfolio"},
		{"bad dsn", "clickhouse: http://x\n", "clickhouse:"},
		{"wrong type", "max_body_bytes: lots\n", "cannot unmarshal"},
		{"tiny body", "max_body_bytes: 10\n", "max_body_bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.give))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseGood(t *testing.T) {
	t.Setenv("TL_TEST_TOKEN", "0123456789abcdef0123")
	c, err := Parse(strings.NewReader(`
api_tokens: ["${TL_TEST_TOKEN}"]
metrics_window: 14d
catalog:
  production_environments: [prod, live]
  services:
    checkout: {team: payments, product: shop, portfolio: retail, repos: [acme/checkout]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.APITokens[0] != "0123456789abcdef0123" || time.Duration(c.MetricsWindow) != 14*24*time.Hour {
		t.Fatalf("got %+v", c)
	}
	if c.Listen != DefaultListen || c.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if got := c.Catalog.Services["checkout"].Team; got != "payments" {
		t.Fatalf("team = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("catalog:\n  services:\n    a: {team: t}\n")
	f.Add("metrics_window: 30d\n")
	f.Add("api_tokens: [x]\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(strings.NewReader(s)) // must not panic
	})
}

func TestSources(t *testing.T) {
	t.Setenv("GH_SECRET", "s3cr3t")
	c, err := Parse(strings.NewReader(`
sources:
  github: {secret: "${GH_SECRET}", deploy_workflows: ["deploy*"]}
  gitlab: {}
  pagerduty: {secret: "pd-secret"}
`))
	if err != nil {
		t.Fatal(err)
	}
	hooks, custom, err := c.Sources.Webhooks()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"github", "gitlab", "pagerduty"} {
		if hooks[s] == nil {
			t.Errorf("source %s not built (have %v)", s, hooks)
		}
	}
	if len(hooks) != 3 || len(custom) != 0 {
		t.Fatalf("hooks %v custom %v", hooks, custom)
	}
	for _, tc := range []struct{ give, want string }{
		{"sources:\n  githb: {}\n", "field githb not found"},
		{"sources:\n  github: {secrt: x}\n", "field secrt not found"},
		{"sources:\n  github: {deploy_workflows: [\"/[/\"]}\n", "sources.github"},
	} {
		if _, err := Parse(strings.NewReader(tc.give)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.give, err, tc.want)
		}
	}
}

func TestEnvExpansion(t *testing.T) {
	t.Setenv("TL_MAX", "2048")
	t.Setenv("TL_SECRET", "a: #tricky secret")
	t.Setenv("TL_TOKEN", "0123456789abcdef0123")
	c, err := Parse(strings.NewReader("# ${NOT_SET_IN_A_COMMENT} is fine\nmax_body_bytes: ${TL_MAX} # nor ${HERE}\napi_tokens: [${TL_TOKEN}]\nsources:\n  github:\n    secret: '${TL_SECRET}'\n  gitlab: {secret: \"${TL_SECRET}\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.APITokens) != 1 || c.APITokens[0] != "0123456789abcdef0123" {
		t.Fatalf("tokens %q", c.APITokens)
	}
	if c.MaxBodyBytes != 2048 || c.Sources.GitHub.Secret != "a: #tricky secret" || c.Sources.GitLab.Secret != c.Sources.GitHub.Secret {
		t.Fatalf("got %d %q %q", c.MaxBodyBytes, c.Sources.GitHub.Secret, c.Sources.GitLab.Secret)
	}
}

package poll_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/poll"
)

const goodConfig = `
checkpoint_dir: /var/lib/throughline/checkpoints
jobs:
  - name: shop-github
    tool: github
    schedule: "*/15 * * * *"
    repo: acme/shop
    since: 2026-01-01
    credentials: {token: ghp_x}
    options: {deploy_workflows: ["deploy*"]}
  - name: shop-gitlab
    tool: gitlab
    schedule: "@every 30m"
    repo: acme/platform/shop
    since: 90d
    overlap: 2d
    credentials: {token: glpat}
  - name: sn
    tool: servicenow
    schedule: "@hourly"
    instance: https://acme.service-now.com
    credentials: {client_id: id, client_secret: s}
  - name: jira
    tool: jira
    schedule: "0 * * * *"
    instance: https://acme.atlassian.net
    project: SHOP
    credentials: {username: me@acme.com, token: t}
`

func decodeConfig(tb testing.TB, s string) (*poll.Config, error) {
	tb.Helper()
	var c poll.Config
	dec := yaml.NewDecoder(strings.NewReader(s))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	return &c, c.Validate()
}

func TestConfigGood(t *testing.T) {
	c, err := decodeConfig(t, goodConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Jobs) != 4 || c.CheckpointDir == "" {
		t.Fatalf("%+v", c)
	}
	gh, gl := c.Jobs[0], c.Jobs[1]
	if !gh.Since.At.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("since %+v", gh.Since)
	}
	if gl.Since.Ago != 90*24*time.Hour || gl.OverlapOr(time.Hour) != 48*time.Hour || gh.OverlapOr(time.Hour) != time.Hour {
		t.Fatalf("durations %+v %v", gl.Since, gl.Overlap)
	}
	var opts struct {
		DeployWorkflows []string `yaml:"deploy_workflows"`
		PerPage         int      `yaml:"per_page"`
	}
	opts.PerPage = 100
	if err := gh.DecodeOptions("polling.jobs[0].options", &opts); err != nil {
		t.Fatal(err)
	}
	if len(opts.DeployWorkflows) != 1 || opts.PerPage != 100 {
		t.Fatalf("options %+v", opts)
	}
	var strict struct {
		PerPage int `yaml:"per_page"`
	}
	err = gh.DecodeOptions("polling.jobs[0].options", &strict)
	if err == nil || !strings.Contains(err.Error(), "polling.jobs[0].options") || !strings.Contains(err.Error(), "unknown key deploy_workflows") {
		t.Fatalf("strict options: %v", err)
	}
	if s := gh.Credentials.String(); strings.Contains(s, "ghp_x") {
		t.Fatalf("credentials print their secret: %s", s)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	base := func(extra string) string {
		return "jobs:\n  - name: ok\n    tool: github\n    schedule: \"@hourly\"\n    repo: a/b\n  - " + extra
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"bad schedule", base("name: x\n    tool: github\n    schedule: \"every tuesday\"\n    repo: a/b"), "polling.jobs[1].schedule:"},
		{"six fields", base("name: x\n    tool: github\n    schedule: \"0 0 * * * *\"\n    repo: a/b"), "polling.jobs[1].schedule:"},
		{"missing schedule", base("name: x\n    tool: github\n    repo: a/b"), "polling.jobs[1].schedule: required"},
		{"unknown tool", base("name: x\n    tool: svn\n    schedule: \"@hourly\""), "polling.jobs[1].tool:"},
		{"duplicate name", base("name: ok\n    tool: github\n    schedule: \"@hourly\"\n    repo: a/c"), `polling.jobs[1].name: "ok" is already the name of polling.jobs[0]`},
		{"bad name", base("name: \"a b\"\n    tool: github\n    schedule: \"@hourly\"\n    repo: a/c"), "polling.jobs[1].name:"},
		{"github repo", base("name: x\n    tool: github\n    schedule: \"@hourly\"\n    repo: justone"), "polling.jobs[1].repo:"},
		{"gitlab token", base("name: x\n    tool: gitlab\n    schedule: \"@hourly\"\n    repo: g/p"), "polling.jobs[1].credentials.token: required"},
		{"azure repo", base("name: x\n    tool: azure-devops\n    schedule: \"@hourly\"\n    repo: org/proj\n    credentials: {token: t}"), "polling.jobs[1].repo:"},
		{"servicenow instance", base("name: x\n    tool: servicenow\n    schedule: \"@hourly\"\n    credentials: {username: u, password: p}"), "polling.jobs[1].instance: required"},
		{"servicenow half oauth", base("name: x\n    tool: servicenow\n    schedule: \"@hourly\"\n    instance: https://a.service-now.com\n    credentials: {client_id: u}"), "polling.jobs[1].credentials.client_secret"},
		{"servicenow no password", base("name: x\n    tool: servicenow\n    schedule: \"@hourly\"\n    instance: https://a.service-now.com\n    credentials: {username: u}"), "polling.jobs[1].credentials.password"},
		{"instance url", base("name: x\n    tool: jira\n    schedule: \"@hourly\"\n    instance: acme.atlassian.net\n    credentials: {token: t}"), "polling.jobs[1].instance:"},
		{"instance with secret", base("name: x\n    tool: jira\n    schedule: \"@hourly\"\n    instance: https://u:p@acme.atlassian.net\n    credentials: {token: t}"), "polling.jobs[1].instance: must not carry credentials"},
		{"jira project", base("name: x\n    tool: jira\n    schedule: \"@hourly\"\n    instance: https://a.atlassian.net\n    project: \"SHOP OR 1=1\"\n    credentials: {token: t}"), "polling.jobs[1].project:"},
		{"generic options", base("name: x\n    tool: generic\n    schedule: \"@hourly\"\n    instance: https://helix.example.com"), "polling.jobs[1].options: required"},
		{"negative overlap", base("name: x\n    tool: github\n    schedule: \"@hourly\"\n    repo: a/b\n    overlap: -1h"), "polling.jobs[1].overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeConfig(t, tc.yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "u:p") {
				t.Fatalf("error leaks credentials: %v", err)
			}
		})
	}
	for _, bad := range []string{"since: yesterday", "since: -3d", "overlap: soon"} {
		_, err := decodeConfig(t, "jobs:\n  - name: x\n    tool: github\n    schedule: \"@hourly\"\n    repo: a/b\n    "+bad)
		if err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestSinceTime(t *testing.T) {
	now := t0
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", now.Add(-poll.DefaultSince)},
		{"2026-01-15", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)},
		{"2026-01-15T10:00:00+02:00", time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"36h", now.Add(-36 * time.Hour)},
	} {
		s, err := poll.ParseSince(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := s.Time(now); !got.Equal(tc.want) {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte("jobs: [{name: a, tool: generic, schedule: '@every 1m', instance: 'http://x', options: {a: 1}}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c poll.Config
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if dec.Decode(&c) != nil {
			return
		}
		if c.Validate() != nil {
			return
		}
		for i, j := range c.Jobs {
			var v map[string]any
			_ = j.DecodeOptions("x", &v)
			if _, err := poll.CronParser().Parse(j.Schedule); err != nil {
				t.Fatalf("job %d: validated schedule %q does not parse: %v", i, j.Schedule, err)
			}
		}
	})
}

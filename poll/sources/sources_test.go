package sources_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/poll/sources"
)

func config(tb testing.TB, s string) *poll.Config {
	tb.Helper()
	var c poll.Config
	dec := yaml.NewDecoder(strings.NewReader(s))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		tb.Fatal(err)
	}
	return &c
}

const allTools = `
jobs:
  - {name: gh, tool: github, schedule: "@hourly", repo: acme/shop, credentials: {token: t}, options: {deploy_workflows: ["deploy*"], streams: [commits, deployments]}}
  - {name: gl, tool: gitlab, schedule: "@hourly", repo: acme/platform/shop, base_url: "https://gitlab.acme.example/api/v4", credentials: {token: t}}
  - {name: bb, tool: bitbucket, schedule: "@hourly", repo: acme/shop, credentials: {username: me, password: app}}
  - {name: az, tool: azure-devops, schedule: "@hourly", repo: acme/Retail/shop, credentials: {token: t}, options: {pipeline_services: {shop-release: shop}}}
  - {name: sn, tool: servicenow, schedule: "@hourly", instance: "https://acme.service-now.com", credentials: {client_id: c, client_secret: s}, options: {time_zone: Europe/Berlin, tables: [incident]}}
  - {name: ji, tool: jira, schedule: "@hourly", instance: "https://acme.atlassian.net", project: SHOP, credentials: {username: me@acme.example, token: t}}
  - {name: hx, tool: bmchelix, schedule: "@hourly", instance: "https://acme-restapi.onbmc.com", credentials: {username: svc, password: p}, options: {ci_services: {Payments API: payments}, fields: {approved: Approved Date}}}
  - {name: cw, tool: cherwell, schedule: "@hourly", instance: "https://acme.cherwellondemand.com", credentials: {client_id: k, username: svc, password: p}, options: {incident_busobid: 6dd53665c0c24cab86870a21cf6434ae, change_busobid: 934ec7f5f5b1d3c4a1e14e6b8c8b1d2a, services: {Payments API: payments}, fields: {approved: CABApprovalDateTime}}}
`

func TestBuildEveryTool(t *testing.T) {
	c := config(t, allTools)
	if err := sources.Validate(c, sources.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, j := range c.Jobs {
		imp, err := sources.Build(j, sources.Options{})
		if err != nil {
			t.Fatalf("%s: %v", j.Name, err)
		}
		if d := sources.DefaultOverlap(imp, 0); d <= 0 {
			t.Errorf("%s: no default overlap", j.Name)
		}
	}
	generic, err := os.ReadFile("../../testdata/backfill/generic/ivanti.poll.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var opts yaml.Node
	if err := yaml.Unmarshal(generic, &opts); err != nil {
		t.Fatal(err)
	}
	j := poll.Job{Name: "ivanti", Tool: poll.ToolGeneric, Schedule: "@hourly", Instance: "https://acme.saasit.com", Credentials: poll.Credentials{Token: "k"}, Options: *opts.Content[0]}
	if _, err := sources.Build(j, sources.Options{}); err != nil {
		t.Fatalf("generic: %v", err)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct{ name, job, want string }{
		{"unknown option", `{name: x, tool: github, schedule: "@hourly", repo: a/b, options: {deploy_workflow: ["x"]}}`, "polling.jobs[0].options: line"},
		{"bad pattern", `{name: x, tool: github, schedule: "@hourly", repo: a/b, options: {deploy_workflows: ["/(/"]}}`, "polling.jobs[0].options.deploy_workflows[0]"},
		{"bad stream", `{name: x, tool: gitlab, schedule: "@hourly", repo: a/b, credentials: {token: t}, options: {streams: [issues]}}`, "polling.jobs[0].options.streams[0]"},
		{"webhook secret", `{name: x, tool: github, schedule: "@hourly", repo: a/b, options: {secret: s}}`, "polling.jobs[0].options.secret: a webhook setting"},
		{"servicenow zone", `{name: x, tool: servicenow, schedule: "@hourly", instance: "https://a.service-now.com", credentials: {username: u, password: p}, options: {time_zone: Mars/Olympus}}`, "polling.jobs[0].options.time_zone"},
		{"jira api", `{name: x, tool: jira, schedule: "@hourly", instance: "https://a.atlassian.net", credentials: {token: t}, options: {api: server}}`, "polling.jobs[0].options.api"},
		{"generic no since", `{name: x, tool: generic, schedule: "@hourly", instance: "https://h.example", options: {path: /x, query: {a: b}, mapping: {type: incident.opened, fields: {subject: a, time: b}}}}`, "polling.jobs[0].options.query"},
		{"schedule", `{name: x, tool: github, schedule: "sometimes", repo: a/b}`, "polling.jobs[0].schedule"},
		{"helix field role", `{name: x, tool: bmchelix, schedule: "@hourly", instance: "https://a-restapi.onbmc.com", credentials: {username: u, password: p}, options: {fields: {owner: Owner}}}`, "polling.jobs[0].options.fields.owner"},
		{"helix password", `{name: x, tool: bmchelix, schedule: "@hourly", instance: "https://a-restapi.onbmc.com", credentials: {username: u}}`, "polling.jobs[0].credentials.password"},
		{"cherwell busobid", `{name: x, tool: cherwell, schedule: "@hourly", instance: "https://a.example", credentials: {client_id: k, username: u, password: p}, options: {change_busobid: 934ec7f5f5b1d3c4a1e14e6b8c8b1d2a}}`, "polling.jobs[0].options.incident_busobid"},
		{"cherwell field role", `{name: x, tool: cherwell, schedule: "@hourly", instance: "https://a.example", credentials: {client_id: k, username: u, password: p}, options: {incident_busobid: 6dd53665c0c24cab86870a21cf6434ae, streams: [incidents], fields: {owner: Owner}}}`, "polling.jobs[0].options.fields.owner"},
		{"cherwell client id", `{name: x, tool: cherwell, schedule: "@hourly", instance: "https://a.example", credentials: {username: u, password: p}}`, "polling.jobs[0].credentials.client_id"},
		{"cherwell password", `{name: x, tool: cherwell, schedule: "@hourly", instance: "https://a.example", credentials: {client_id: k, username: u}}`, "polling.jobs[0].credentials.password"},
		{"cherwell instance", `{name: x, tool: cherwell, schedule: "@hourly", credentials: {client_id: k, username: u, password: p}}`, "polling.jobs[0].instance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sources.Validate(config(t, "jobs:\n  - "+tc.job), sources.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSchedulerPollsIncrementally wires a job from the configuration to
// the recorded GitHub API: the first run backfills from since, the second
// reads from the first run's start less the overlap.
func TestSchedulerPollsIncrementally(t *testing.T) {
	srv := polltest.New(t, "../../testdata/backfill/github")
	clock := polltest.NewClock(time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC))
	c := config(t, `
jobs:
  - name: checkout
    tool: github
    schedule: "*/15 * * * *"
    repo: acme/checkout
    base_url: `+srv.URL+`
    since: 2026-02-01
    credentials: {token: ghp_test}
    options: {per_page: 2}
`)
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var got polltest.Collector
	s, err := poll.NewScheduler(poll.SchedulerOptions{
		Config: c, Build: sources.Builder(sources.Options{Clock: clock}), Sink: got.Sink, Checkpoints: store, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunJob(context.Background(), "checkout"); err != nil {
		t.Fatal(err)
	}
	if n := len(got.IDs()); n != 11 {
		t.Fatalf("first run: %d events", n)
	}
	clock.Advance(15 * time.Minute)
	before := len(srv.Requests())
	if err := s.RunJob(context.Background(), "checkout"); err != nil {
		t.Fatal(err)
	}
	var commits string
	for _, r := range srv.Requests()[before:] {
		if strings.HasPrefix(r, "GET /repos/acme/checkout/commits?") {
			commits = r
		}
	}
	// GitHub's default overlap is a day: 2026-02-06 18:00 less 24h.
	if !strings.Contains(commits, "since=2026-02-05T18%3A00%3A00Z") {
		t.Fatalf("second run read commits with %q", commits)
	}
}

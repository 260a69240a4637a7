package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

const backfillDir = "../../testdata/backfill/github"

var (
	backfillNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	backfillSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

// Commits of the recording (testdata/backfill/github/PROVENANCE.md).
const (
	shaC1 = "3f8a1c2d4e5b6a7980c1d2e3f4a5b6c7d8e9f001"
	shaC2 = "7b2e9d4c1a0f3e5d6c7b8a9012345678abcdef02"
	shaS1 = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345603" // squash commit of #41
	shaC3 = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f901234567804"
	shaM2 = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4938271605" // merge commit of #42
)

// wantIDs are every event the recording holds from 2026-02-01 on, sorted.
var wantIDs = []string{
	"deployment_status:70002", "deployment_status:70004",
	"pr:acme/checkout#41:merged", "pr:acme/checkout#42:merged",
	"push:" + shaC1, "push:" + shaC3, "push:" + shaC2, "push:" + shaM2, "push:" + shaS1,
	"workflow_run:7001:1", "workflow_run:7002:1",
}

type fixture struct {
	srv   *polltest.Server
	clock *polltest.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := polltest.New(t, backfillDir)
	srv.RequireHeader("Authorization", "Bearer ghp_test")
	return &fixture{srv: srv, clock: polltest.NewClock(backfillNow)}
}

func (f *fixture) importer(t *testing.T, mod func(*poll.ClientOptions)) *Importer {
	t.Helper()
	o := poll.ClientOptions{BaseURL: f.srv.URL, Auth: poll.Auth{Token: "ghp_test", Name: "GITHUB_TOKEN"}, Clock: f.clock, Jitter: func() float64 { return 0 }}
	if mod != nil {
		mod(&o)
	}
	c, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ImportOptions{Client: c, Repo: "Acme/Checkout", PerPage: 2})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func (f *fixture) request() poll.Request {
	return poll.Request{Job: "checkout", Since: backfillSince, Overlap: 24 * time.Hour, Now: f.clock.Now}
}

func TestImport(t *testing.T) {
	f := newFixture(t)
	var got polltest.Collector
	cp := poll.NewMemoryCheckpoint("checkout")
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, cp); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs) {
		t.Fatalf("ids\n got %v\nwant %v", ids, wantIDs)
	}
	for _, e := range got.Events() {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.ID, err)
		}
		if e.Repo != "acme/checkout" || e.Service != "checkout" {
			t.Errorf("%s: repo %q service %q: the canonical name from the API, not the configured Acme/Checkout", e.ID, e.Repo, e.Service)
		}
	}
	squash, _ := got.ByID("pr:acme/checkout#41:merged")
	if !squash.Time.Equal(time.Date(2026, 2, 3, 10, 0, 0, 0, time.UTC)) || !slices.Equal(squash.Commits, []string{shaS1, shaC2, shaC1}) {
		t.Errorf("squash merge: time %s commits %v, want merge time and [squash sha, head sha, the PR's other commits]", squash.Time, squash.Commits)
	}
	c2, _ := got.ByID("push:" + shaC2)
	if !c2.Time.Equal(time.Date(2026, 2, 2, 14, 30, 0, 0, time.UTC)) || c2.Links["change"] != "acme/checkout#41" {
		t.Errorf("pull request commit: time %s links %v, want the author date in UTC and a link to #41", c2.Time, c2.Links)
	}
	dep, _ := got.ByID("deployment_status:70004")
	if dep.Environment != "production" || dep.Outcome != "success" || !slices.Equal(dep.Commits, []string{shaM2}) || dep.Subject != "9002" {
		t.Errorf("deployment %+v", dep)
	}
	run, _ := got.ByID("workflow_run:7001:1")
	if run.Type != ingest.TypeBuildFinished || run.Outcome != "failure" {
		t.Errorf("workflow run %+v", run)
	}
	// Paging stopped at since: the third page of pull requests (#38 is
	// older) and of deployments was never asked for.
	for _, r := range f.srv.Requests() {
		if strings.Contains(r, "page=3") {
			t.Errorf("read past since: %s", r)
		}
	}
	if n := f.srv.Count("/repositories/812345/commits"); n != 1 {
		t.Errorf("commit page 2 requested %d times", n)
	}
	for _, s := range Streams() {
		if st := cp.Stream(s); st.InProgress || !st.Watermark.Equal(backfillNow) {
			t.Errorf("stream %s not finished: %+v", s, st)
		}
	}
}

func TestImportWaitsOutRateLimitsAndRetriesServerErrors(t *testing.T) {
	f := newFixture(t)
	reset := backfillNow.Add(90 * time.Second).Unix()
	f.srv.Inject(polltest.Fault{Path: "/repositories/812345/commits", Query: map[string]string{"page": "2"}, Status: 403,
		Headers: map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)},
		Body:    `{"message":"API rate limit exceeded for user ID 583231.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`})
	f.srv.Inject(polltest.Fault{Path: "/repos/acme/checkout/pulls/41/commits", Status: 429, Headers: map[string]string{"Retry-After": "30"}})
	f.srv.Inject(polltest.Fault{Path: "/repos/acme/checkout/deployments/9001/statuses", Status: 500, Times: 2, Body: `{"message":"Server Error"}`})
	var got polltest.Collector
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("checkout")); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs) {
		t.Fatalf("ids %v", ids)
	}
	// 91s to the reset (+1s margin), 30s Retry-After, then 0.5s and 1s of
	// backoff for the two 500s (zero jitter).
	want := []time.Duration{91 * time.Second, 30 * time.Second, 500 * time.Millisecond, time.Second}
	if got := f.clock.Sleeps(); !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
}

func TestImportResumesAfterServerErrorMidway(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	// The second page of workflow runs keeps failing: the run gives up
	// there, after storing the first page.
	runsPage2 := "/repositories/812345/actions/runs"
	f.srv.Inject(polltest.Fault{Path: runsPage2, Query: map[string]string{"page": "2"}, Status: 502, Times: 3, Body: "<html>502 Bad Gateway</html>"})
	im := f.importer(t, func(o *poll.ClientOptions) { o.MaxAttempts = 3 })
	var first polltest.Collector
	cp, err := store.Open("checkout")
	if err != nil {
		t.Fatal(err)
	}
	err = im.Import(context.Background(), f.request(), first.Sink, cp)
	if err == nil || !strings.Contains(err.Error(), "workflow_runs") || !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "3 tries") {
		t.Fatalf("first run: %v", err)
	}
	if _, ok := first.ByID("workflow_run:7002:1"); !ok {
		t.Fatal("the first page of runs was not stored before the failure")
	}
	before := len(f.srv.Requests())

	// A new process continues from the file.
	f.clock.Advance(10 * time.Minute)
	cp, err = store.Open("checkout")
	if err != nil {
		t.Fatal(err)
	}
	var second polltest.Collector
	if err := im.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	after := f.srv.Requests()[before:]
	// Finished streams poll again from their watermark less the overlap.
	if !slices.ContainsFunc(after, func(r string) bool {
		return strings.HasPrefix(r, "GET /repos/acme/checkout/commits?") && strings.Contains(r, "since=2026-02-05T18%3A00%3A00Z")
	}) {
		t.Errorf("commits did not poll from watermark less overlap: %v", after)
	}
	// The interrupted stream continues at its second page.
	var runs []string
	for _, r := range after {
		if strings.Contains(r, "/actions/runs") {
			runs = append(runs, r)
		}
	}
	if len(runs) != 1 || !strings.HasPrefix(runs[0], "GET "+runsPage2) {
		t.Errorf("workflow runs after the resume: %v, want only page 2", runs)
	}
	all := append(first.IDs(), second.IDs()...)
	slices.Sort(all)
	if all = slices.Compact(all); !slices.Equal(all, wantIDs) {
		t.Fatalf("ids over both runs %v", all)
	}
}

func TestImportContinuesInterruptedRunFromCheckpoint(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	im := f.importer(t, nil)
	// The process stops while storing the fourth page: pulls page 2
	// (commits took two, pulls page 1 one).
	first := polltest.Collector{FailAfter: 3}
	cp, _ := store.Open("checkout")
	err = im.Import(context.Background(), f.request(), first.Sink, cp)
	if !errors.Is(err, polltest.ErrSinkStopped) {
		t.Fatalf("first run: %v", err)
	}
	saved, _ := store.Open("checkout")
	st := saved.Stream(StreamPulls)
	if !st.InProgress || !strings.Contains(st.Next, "/repositories/812345/pulls?") || !strings.Contains(st.Next, "page=2") || st.Items != 2 {
		t.Fatalf("pulls checkpoint %+v: want in progress at page 2 after 2 items", st)
	}
	if _, ok := first.ByID("pr:acme/checkout#42:merged"); !ok {
		t.Fatal("page 1 of pulls was not stored")
	}
	before := len(f.srv.Requests())
	f.clock.Advance(time.Hour)
	var second polltest.Collector
	if err := im.Import(context.Background(), f.request(), second.Sink, saved); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.srv.Requests()[before:] {
		if strings.HasPrefix(r, "GET /repos/acme/checkout/pulls?") || strings.Contains(r, "/pulls/42/") {
			t.Errorf("page 1 of pulls read again after the resume: %s", r)
		}
	}
	all := append(first.IDs(), second.IDs()...)
	slices.Sort(all)
	if all = slices.Compact(all); !slices.Equal(all, wantIDs) {
		t.Fatalf("ids over both runs %v", all)
	}
	// The interrupted pass kept its start time as its watermark, so the
	// next pass overlaps everything it may have missed.
	if st := saved.Stream(StreamPulls); st.InProgress || !st.Watermark.Equal(backfillNow) {
		t.Fatalf("pulls after the resume %+v, want finished with watermark %s", st, backfillNow)
	}
}

func TestImportRefusedToken(t *testing.T) {
	f := newFixture(t)
	c, err := NewAPIClient(poll.ClientOptions{BaseURL: f.srv.URL, Auth: poll.Auth{Token: "ghp_revoked", Name: "GITHUB_TOKEN"}, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ImportOptions{Client: c, Repo: "acme/checkout"})
	if err != nil {
		t.Fatal(err)
	}
	err = im.Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), "GITHUB_TOKEN") || strings.Contains(err.Error(), "ghp_revoked") {
		t.Fatalf("err %v", err)
	}
}

// TestImportMatchesWebhook serves the objects of real webhook deliveries
// (testdata/webhooks/github) as API pages, which have the same shape, and
// checks that the importer yields the webhook's events, ids included.
func TestImportMatchesWebhook(t *testing.T) {
	for _, tc := range []struct {
		file, event, stream string
		serve               func(t *testing.T, srv *polltest.Server, payload map[string]json.RawMessage, repo string)
	}{
		{
			file: "deployment_status.success", event: "deployment_status", stream: StreamDeployments,
			serve: func(t *testing.T, srv *polltest.Server, p map[string]json.RawMessage, repo string) {
				var d struct {
					ID int64 `json:"id"`
				}
				json.Unmarshal(p["deployment"], &d)
				srv.Add(polltest.Route{Path: "/repos/" + repo + "/deployments", Body: "[" + string(p["deployment"]) + "]"})
				srv.Add(polltest.Route{Path: fmt.Sprintf("/repos/%s/deployments/%d/statuses", repo, d.ID), Body: "[" + string(p["deployment_status"]) + "]"})
			},
		},
		{
			file: "workflow_run.completed", event: "workflow_run", stream: StreamWorkflowRuns,
			serve: func(t *testing.T, srv *polltest.Server, p map[string]json.RawMessage, repo string) {
				// The API's run carries the workflow's name; this delivery
				// has it under workflow only.
				var run, wf map[string]any
				json.Unmarshal(p["workflow_run"], &run)
				json.Unmarshal(p["workflow"], &wf)
				if name, _ := run["name"].(string); name == "" {
					run["name"] = wf["name"]
				}
				b, _ := json.Marshal(map[string]any{"total_count": 1, "workflow_runs": []any{run}})
				srv.Add(polltest.Route{Path: "/repos/" + repo + "/actions/runs", Body: string(b)})
			},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(testdataDir, tc.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			w, err := New(goldenOptions)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set("X-GitHub-Event", tc.event)
			want, err := w.Parse(h, body)
			if err != nil {
				t.Fatal(err)
			}
			var p map[string]json.RawMessage
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			var repo apiRepo
			json.Unmarshal(p["repository"], &repo)
			srv := polltest.New(t, "")
			srv.Add(polltest.Route{Path: "/repos/" + repo.FullName, Body: string(p["repository"])})
			tc.serve(t, srv, p, repo.FullName)
			c, err := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			im, err := NewImporter(ImportOptions{Client: c, Repo: repo.FullName, Options: goldenOptions, Streams: []string{tc.stream}})
			if err != nil {
				t.Fatal(err)
			}
			// Since far back: the payloads are from 2019-2020.
			polltest.ImportMatches(t, im, time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), want)
		})
	}
}

// FuzzImportPages runs the importer on arbitrary API answers: no panic,
// and every event it yields is valid.
func FuzzImportPages(f *testing.F) {
	for _, name := range []string{"commits.1.json", "pulls.1.json", "deployments.1.json", "runs.1.json", "repo.json"} {
		b, err := os.ReadFile(filepath.Join(backfillDir, name))
		if err != nil {
			f.Fatal(err)
		}
		for s := range Streams() {
			f.Add(uint8(s), b)
		}
	}
	f.Add(uint8(1), []byte(`[{"number":1,"merged_at":"2026-02-03T10:00:00Z","updated_at":"2026-02-03T10:00:00Z","head":{"sha":"ab"}}]`))
	f.Fuzz(func(t *testing.T, stream uint8, body []byte) {
		c, err := NewAPIClient(poll.ClientOptions{
			BaseURL:    "https://api.github.test",
			HTTPClient: &http.Client{Transport: &polltest.Transport{Body: body, N: 4}},
			Clock:      polltest.NewClock(backfillNow), MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		im, err := NewImporter(ImportOptions{Client: c, Repo: "a/b", Streams: []string{Streams()[int(stream)%len(Streams())]}})
		if err != nil {
			t.Fatal(err)
		}
		polltest.FuzzImport(t, im, backfillSince)
	})
}

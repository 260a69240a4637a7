package bitbucket

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

const backfillDir = "../../testdata/backfill/bitbucket"

var (
	backfillNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	backfillSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

// Commits of the recording (testdata/backfill/bitbucket/PROVENANCE.md).
const (
	shaB1 = "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b901"
	shaB2 = "b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b002"
	shaSq = "c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c103" // squash of #7
	shaB3 = "d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d204"
	shaMc = "e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e305" // merge of #8
)

func unix(y int, m time.Month, d, h, min int) string {
	return strconv.FormatInt(time.Date(y, m, d, h, min, 0, 0, time.UTC).Unix(), 10)
}

func wantIDs() []string {
	ids := []string{
		"commit_status:" + shaMc + ":build:" + unix(2026, 2, 4, 13, 50),
		"commit_status:" + shaMc + ":deploy-production:" + unix(2026, 2, 4, 14, 0),
		"commit_status:" + shaSq + ":build:" + unix(2026, 2, 3, 8, 10),
		"commit_status:" + shaSq + ":deploy-production:" + unix(2026, 2, 3, 8, 20),
		"pr:acme/storefront#7:merged", "pr:acme/storefront#8:merged",
		"push:" + shaB1, "push:" + shaB2, "push:" + shaSq, "push:" + shaB3, "push:" + shaMc,
	}
	slices.Sort(ids)
	return ids
}

type fixture struct {
	srv   *polltest.Server
	clock *polltest.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := polltest.New(t, backfillDir)
	srv.RequireHeader("Authorization", "Bearer bb-token")
	return &fixture{srv: srv, clock: polltest.NewClock(backfillNow)}
}

func (f *fixture) importer(t *testing.T, mod func(*poll.ClientOptions)) *Importer {
	t.Helper()
	o := poll.ClientOptions{BaseURL: f.srv.URL + "/2.0", Auth: poll.Auth{Token: "bb-token", Name: "BITBUCKET_TOKEN"}, Clock: f.clock, Jitter: func() float64 { return 0 }}
	if mod != nil {
		mod(&o)
	}
	c, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ImportOptions{Client: c, Repo: "acme/storefront", Options: Options{DeployWorkflows: []string{"deploy*"}}, PageLen: 2})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func (f *fixture) request() poll.Request {
	return poll.Request{Job: "storefront", Since: backfillSince, Overlap: 24 * time.Hour, Now: f.clock.Now}
}

func TestImport(t *testing.T) {
	f := newFixture(t)
	var got polltest.Collector
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("s")); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs()) {
		t.Fatalf("ids\n got %v\nwant %v", ids, wantIDs())
	}
	pr, _ := got.ByID("pr:acme/storefront#7:merged")
	if !slices.Equal(pr.Commits, []string{shaSq[:12], shaB2[:12], shaB2, shaB1}) {
		t.Errorf("squash-merged PR commits %v: merge and source hashes (12 characters, as Bitbucket lists them), then the PR's commits", pr.Commits)
	}
	dep, _ := got.ByID("commit_status:" + shaSq + ":deploy-production:" + unix(2026, 2, 3, 8, 20))
	if dep.Type != "deployment.finished" || dep.Environment != "production" || !slices.Equal(dep.Commits, []string{shaSq}) {
		t.Errorf("deploy step %+v", dep)
	}
	b1, _ := got.ByID("push:" + shaB1)
	if b1.Links["change"] != "acme/storefront#7" || b1.Attributes["truncated"] != "" {
		t.Errorf("PR commit %+v", b1)
	}
	// Commits stop at the first one dated before since, though the page
	// links a third (an unrecorded page would fail the test too).
	for _, r := range f.srv.Requests() {
		if strings.Contains(r, "/commits/main?page=3") {
			t.Errorf("read past since: %s", r)
		}
	}
	// One statuses request per commit, though two pipelines ran on mc.
	if n := f.srv.Count("/2.0/repositories/acme/storefront/commit/" + shaMc + "/statuses"); n != 1 {
		t.Errorf("statuses of the merge commit read %d times", n)
	}
}

func TestImportRateLimitAndServerError(t *testing.T) {
	f := newFixture(t)
	// Bitbucket's 429 names no reset: the client waits a minute.
	f.srv.Inject(polltest.Fault{Path: "/2.0/repositories/acme/storefront/pullrequests", Query: map[string]string{"page": "2"}, Status: 429,
		Headers: map[string]string{"X-RateLimit-Limit": "1000", "X-RateLimit-Resource": "api-repo"}, Body: `{"type":"error","error":{"message":"Rate limit for this resource has been exceeded"}}`})
	f.srv.Inject(polltest.Fault{Path: "/2.0/repositories/acme/storefront/pipelines", Status: 500, Body: `{"type":"error","error":{"message":"Something went wrong"}}`})
	var got polltest.Collector
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("s")); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs()) {
		t.Fatalf("ids %v", ids)
	}
	if want := []time.Duration{time.Minute, 500 * time.Millisecond}; !slices.Equal(f.clock.Sleeps(), want) {
		t.Fatalf("waits %v, want %v", f.clock.Sleeps(), want)
	}
}

func TestImportResumes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		collector *polltest.Collector
		fault     *polltest.Fault
		firstErr  string
		stream    string
		resumedAt string
	}{
		{
			name:      "server error on a second page",
			collector: &polltest.Collector{},
			fault:     &polltest.Fault{Path: "/2.0/repositories/acme/storefront/pipelines", Query: map[string]string{"page": "2"}, Status: 502, Times: 3},
			firstErr:  "502", stream: "/pipelines?", resumedAt: "GET /2.0/repositories/acme/storefront/pipelines?page=2",
		},
		{
			name:      "interrupted while storing",
			collector: &polltest.Collector{FailAfter: 3}, // commits 1, 2, pull requests 1
			firstErr:  polltest.ErrSinkStopped.Error(), stream: "/pullrequests?", resumedAt: "GET /2.0/repositories/acme/storefront/pullrequests?page=2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, err := poll.OpenCheckpoints(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t)
			if tc.fault != nil {
				f.srv.Inject(*tc.fault)
			}
			im := f.importer(t, func(o *poll.ClientOptions) { o.MaxAttempts = 3 })
			cp, _ := store.Open("s")
			err = im.Import(context.Background(), f.request(), tc.collector.Sink, cp)
			if err == nil || !strings.Contains(err.Error(), tc.firstErr) {
				t.Fatalf("first run: %v, want %q", err, tc.firstErr)
			}
			before := len(f.srv.Requests())
			cp, _ = store.Open("s")
			var second polltest.Collector
			if err := im.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
				t.Fatal(err)
			}
			var reqs []string
			for _, r := range f.srv.Requests()[before:] {
				if strings.Contains(r, tc.stream) {
					reqs = append(reqs, r)
				}
			}
			if len(reqs) == 0 || !strings.HasPrefix(reqs[0], tc.resumedAt) {
				t.Fatalf("after the resume %v, want it to start with %s", reqs, tc.resumedAt)
			}
			all := append(tc.collector.IDs(), second.IDs()...)
			slices.Sort(all)
			if all = slices.Compact(all); !slices.Equal(all, wantIDs()) {
				t.Fatalf("ids over both runs %v", all)
			}
		})
	}
}

func TestImportRefusedCredentials(t *testing.T) {
	f := newFixture(t)
	c, err := NewAPIClient(poll.ClientOptions{BaseURL: f.srv.URL + "/2.0", Auth: poll.Auth{Username: "ana", Password: "app-pw-secret", Name: "BITBUCKET_APP_PASSWORD"}, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	im, _ := NewImporter(ImportOptions{Client: c, Repo: "acme/storefront"})
	err = im.Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), `user "ana"`) || !strings.Contains(err.Error(), "BITBUCKET_APP_PASSWORD") || strings.Contains(err.Error(), "app-pw-secret") {
		t.Fatalf("err %v", err)
	}
}

// TestImportMatchesWebhook serves the objects of the webhook test payloads
// as API answers (the API's pull request and commit status objects have
// the webhook's shape) and compares the events.
func TestImportMatchesWebhook(t *testing.T) {
	for _, tc := range []struct{ file, event, stream string }{
		{"repo_commit_status_updated", "repo:commit_status_updated", StreamPipelines},
		{"pullrequest_fulfilled", "pullrequest:fulfilled", StreamPullRequests},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(testdataDir, tc.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			w, _ := New(goldenOptions)
			h := http.Header{}
			h.Set("X-Event-Key", tc.event)
			want, err := w.Parse(h, body)
			if err != nil {
				t.Fatal(err)
			}
			var p map[string]json.RawMessage
			json.Unmarshal(body, &p)
			var repo apiRepo
			json.Unmarshal(p["repository"], &repo)
			srv := polltest.New(t, "")
			base := "/2.0/repositories/" + repo.FullName
			srv.Add(polltest.Route{Path: base, Body: string(p["repository"])})
			switch tc.stream {
			case StreamPipelines:
				var s apiStatus
				json.Unmarshal(p["commit_status"], &s)
				srv.Add(polltest.Route{Path: base + "/pipelines", Body: `{"page":1,"pagelen":10,"size":1,"values":[{"state":{"name":"COMPLETED"},"target":{"commit":{"hash":"` + s.Commit.Hash + `"}},"created_on":"2024-03-05T14:00:00Z"}]}`})
				srv.Add(polltest.Route{Path: base + "/commit/" + s.Commit.Hash + "/statuses", Body: `{"values":[` + string(p["commit_status"]) + `]}`})
			case StreamPullRequests:
				var pr apiPullRequest
				json.Unmarshal(p["pullrequest"], &pr)
				srv.Add(polltest.Route{Path: base + "/pullrequests", Body: `{"values":[` + string(p["pullrequest"]) + `]}`})
				srv.Add(polltest.Route{Path: base + "/pullrequests/" + strconv.FormatInt(pr.ID, 10) + "/commits", Body: `{"values":[]}`})
			}
			c, _ := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL + "/2.0"})
			im, err := NewImporter(ImportOptions{Client: c, Repo: repo.FullName, Options: goldenOptions, Streams: []string{tc.stream}})
			if err != nil {
				t.Fatal(err)
			}
			polltest.ImportMatches(t, im, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), want)
		})
	}
}

// TestImportEndToEnd imports the recording into a real store twice and
// checks the DORA measures against values computed by hand.
//
// From 2026-02-01 (testdata/backfill/bitbucket/PROVENANCE.md): #7
// (b1c2d3e 02-02 10:00, b2c3d4e 18:00) squash-merged as c3d4e5f (02-03
// 08:00), whose deploy-production step succeeded at 08:20; #8 (d4e5f6a
// 02-04 09:00) merged as e5f6a7b (12:00), deploy-production succeeded at
// 14:00. deploy_workflows ["deploy*"] makes those steps deployments.
//
// Window [2026-02-01, 2026-02-08), 7 days:
//
//	deployments                   2, deployment_frequency_per_day 2 / 7
//	lead times (s): at 02-03 08:20: c3d4e5f (08:00) 1,200; through #7
//	  b2c3d4e (02-02 18:00) 51,600, b1c2d3e (02-02 10:00) 80,400;
//	  at 02-04 14:00: e5f6a7b (12:00) 7,200; through #8 d4e5f6a (09:00) 18,000
//	sorted 1,200 7,200 18,000 51,600 80,400
//	median 18,000; p90 position 3.6: 51,600 + 0.6 × 28,800 = 68,880
func TestImportEndToEnd(t *testing.T) {
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			f := newFixture(t)
			polltest.ImportTwice(t, eng.Store, f.importer(t, nil), f.request(), len(wantIDs()))
			polltest.CheckMeasures(t, eng.Store, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 8, 0, 0, 0, 0, time.UTC), map[string]float64{
				"deployments":                     2,
				"deployment_frequency_per_day":    2.0 / 7,
				"change_failure_rate":             0,
				"change_lead_time_samples":        5,
				"change_lead_time_median_seconds": 18000,
				"change_lead_time_p90_seconds":    68880,
			})
		})
	}
}

// FuzzImportPages runs the importer on arbitrary API answers: no panic,
// and every event it yields is valid.
func FuzzImportPages(f *testing.F) {
	for _, b := range polltest.PageSeeds(f, backfillDir) {
		for s := range Streams() {
			f.Add(uint8(s), b)
		}
	}
	f.Fuzz(func(t *testing.T, stream uint8, body []byte) {
		c, err := NewAPIClient(poll.ClientOptions{
			BaseURL:    "https://bitbucket.test/2.0",
			HTTPClient: &http.Client{Transport: &polltest.Transport{Body: body, N: 5}},
			Clock:      polltest.NewClock(backfillNow), MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		im, err := NewImporter(ImportOptions{Client: c, Repo: "w/r", Options: Options{DeployWorkflows: []string{"*"}}, Streams: []string{Streams()[int(stream)%len(Streams())]}})
		if err != nil {
			t.Fatal(err)
		}
		polltest.FuzzImport(t, im, backfillSince)
	})
}

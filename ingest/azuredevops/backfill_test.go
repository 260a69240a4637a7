package azuredevops

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

const backfillDir = "../../testdata/backfill/azuredevops"

var (
	backfillNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	backfillSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

// Commits of the recording (testdata/backfill/azuredevops/PROVENANCE.md).
const (
	shaA1 = "a1f0e2d3c4b5a6978877665544332211aabbcc01"
	shaA2 = "a2f0e2d3c4b5a6978877665544332211aabbcc02"
	shaSq = "b3f0e2d3c4b5a6978877665544332211aabbcc03" // squash of PR 311
	shaA3 = "a3f0e2d3c4b5a6978877665544332211aabbcc04"
	shaMg = "c5f0e2d3c4b5a6978877665544332211aabbcc05" // merge of PR 312
)

func wantIDs() []string {
	ids := []string{
		"build:2001:" + strconv.FormatInt(time.Date(2026, 2, 3, 9, 15, 0, 0, time.UTC).Unix(), 10),
		"build:2002:" + strconv.FormatInt(time.Date(2026, 2, 4, 11, 10, 0, 0, time.UTC).Unix(), 10),
		"pr:Retail/basket#311:merged", "pr:Retail/basket#312:merged",
		"push:" + shaA1, "push:" + shaA2, "push:" + shaSq, "push:" + shaA3, "push:" + shaMg,
		"release_deployment:801", "release_deployment:802", "release_deployment:803",
	}
	slices.Sort(ids)
	return ids
}

var testOptions = Options{PipelineServices: map[string]string{"basket-release": "basket"}}

type fixture struct {
	srv   *polltest.Server
	clock *polltest.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := polltest.New(t, backfillDir)
	// A personal access token is basic auth with an empty user name.
	srv.RequireHeader("Authorization", "Basic OmF6ZG8tcGF0") // ":azdo-pat"
	return &fixture{srv: srv, clock: polltest.NewClock(backfillNow)}
}

func (f *fixture) importer(t *testing.T, mod func(*poll.ClientOptions)) *Importer {
	t.Helper()
	o := poll.ClientOptions{BaseURL: f.srv.URL, Auth: poll.Auth{Token: "azdo-pat", Name: "AZURE_DEVOPS_PAT"}, Clock: f.clock, Jitter: func() float64 { return 0 }}
	if mod != nil {
		mod(&o)
	}
	c, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	// The test server plays vsrm.dev.azure.com too.
	rc, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ImportOptions{Client: c, ReleaseClient: rc, Repo: "acme/Retail/basket", Options: testOptions, Top: 1})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func (f *fixture) request() poll.Request {
	return poll.Request{Job: "basket", Since: backfillSince, Overlap: 24 * time.Hour, Now: f.clock.Now}
}

func TestImport(t *testing.T) {
	f := newFixture(t)
	var got polltest.Collector
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("b")); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs()) {
		t.Fatalf("ids\n got %v\nwant %v", ids, wantIDs())
	}
	pr, _ := got.ByID("pr:Retail/basket#311:merged")
	if !slices.Equal(pr.Commits, []string{shaSq, shaA2, shaA1}) || !pr.Time.Equal(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("squash-completed PR %v %s", pr.Commits, pr.Time)
	}
	sq, _ := got.ByID("push:" + shaSq)
	if !sq.Time.Equal(time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC)) || sq.Attributes["push_id"] != "" || sq.Repo != "Retail/basket" {
		t.Errorf("commit %+v: author date in UTC, no push id, repo project/repo", sq)
	}
	a1, _ := got.ByID("push:" + shaA1)
	if a1.Links["change"] != "Retail/basket#311" {
		t.Errorf("PR commit links %v", a1.Links)
	}
	rd, _ := got.ByID("release_deployment:803")
	if rd.Environment != "production" || rd.Service != "basket" || !slices.Equal(rd.Commits, []string{shaMg}) || !rd.Time.Equal(time.Date(2026, 2, 4, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("release deployment %+v", rd)
	}
	b, _ := got.ByID(wantIDs()[1])
	if b.Outcome != "failure" || b.Repo != "Retail/basket" {
		t.Errorf("build %+v", b)
	}
}

func TestReleaseBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://dev.azure.com":              "https://vsrm.dev.azure.com",
		"https://acme.visualstudio.com":      "https://acme.vsrm.visualstudio.com",
		"https://tfs.acme.example/tfs":       "https://tfs.acme.example/tfs",
		"https://acme.vsrm.visualstudio.com": "https://acme.vsrm.visualstudio.com",
	} {
		if got := ReleaseBaseURL(in); got != want {
			t.Errorf("ReleaseBaseURL(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestImportRateLimitAndServerError(t *testing.T) {
	f := newFixture(t)
	f.srv.Inject(polltest.Fault{Path: "/acme/Retail/_apis/build/builds", Query: map[string]string{"continuationToken": "2026-02-04T11:10:00.1000000Z"}, Status: 429,
		Headers: map[string]string{"Retry-After": "12", "X-RateLimit-Resource": "Core", "X-RateLimit-Delay": "11.5", "X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0",
			"X-RateLimit-Reset": strconv.FormatInt(backfillNow.Add(12*time.Second).Unix(), 10)}})
	f.srv.Inject(polltest.Fault{Path: "/acme/Retail/_apis/git/repositories/basket/pullRequests/311/commits", Status: 503, Body: "Service Unavailable"})
	var got polltest.Collector
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("b")); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs()) {
		t.Fatalf("ids %v", ids)
	}
	if want := []time.Duration{500 * time.Millisecond, 12 * time.Second}; !slices.Equal(f.clock.Sleeps(), want) {
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
			fault:     &polltest.Fault{Path: "/acme/Retail/_apis/release/deployments", Query: map[string]string{"continuationToken": "803"}, Status: 500, Times: 3},
			firstErr:  "500", stream: "/release/deployments?", resumedAt: "GET /acme/Retail/_apis/release/deployments?%24top=1&api-version=7.1&continuationToken=803",
		},
		{
			name:      "interrupted while storing",
			collector: &polltest.Collector{FailAfter: 3}, // commits 1, 2 (the empty third stores nothing), pull requests 1
			firstErr:  polltest.ErrSinkStopped.Error(), stream: "/pullrequests?", resumedAt: "GET /acme/Retail/_apis/git/repositories/basket/pullrequests?%24skip=1",
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
			cp, _ := store.Open("b")
			err = im.Import(context.Background(), f.request(), tc.collector.Sink, cp)
			if err == nil || !strings.Contains(err.Error(), tc.firstErr) {
				t.Fatalf("first run: %v, want %q", err, tc.firstErr)
			}
			before := len(f.srv.Requests())
			cp, _ = store.Open("b")
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

func TestImportRefusedToken(t *testing.T) {
	f := newFixture(t)
	c, _ := NewAPIClient(poll.ClientOptions{BaseURL: f.srv.URL, Auth: poll.Auth{Token: "expired-pat", Name: "AZURE_DEVOPS_PAT"}, Clock: f.clock})
	im, err := NewImporter(ImportOptions{Client: c, Repo: "acme/Retail/basket"})
	if err != nil {
		t.Fatal(err)
	}
	err = im.Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), "AZURE_DEVOPS_PAT") || strings.Contains(err.Error(), "expired-pat") {
		t.Fatalf("err %v", err)
	}
}

// TestImportMatchesWebhook serves the resources of the service hook test
// payloads as API answers (the API returns the same objects) and compares
// the events.
func TestImportMatchesWebhook(t *testing.T) {
	for _, tc := range []struct {
		file, stream string
		serve        func(srv *polltest.Server, r map[string]json.RawMessage) (repo string)
	}{
		{
			file: "build.complete", stream: StreamBuilds,
			serve: func(srv *polltest.Server, r map[string]json.RawMessage) string {
				srv.Add(polltest.Route{Path: "/FabrikamFiber/web/_apis/git/repositories/MainRepo", Body: `{"id":"b3a1f0c2-7d4e-4f6a-9b8c-1d2e3f4a5b6c","name":"MainRepo","project":{"name":"web"}}`})
				b, _ := json.Marshal(r)
				srv.Add(polltest.Route{Path: "/FabrikamFiber/web/_apis/build/builds", Body: `{"count":1,"value":[` + string(b) + `]}`})
				return "FabrikamFiber/web/MainRepo"
			},
		},
		{
			file: "release.deployment-completed", stream: StreamReleaseDeployments,
			serve: func(srv *polltest.Server, r map[string]json.RawMessage) string {
				var d map[string]any
				json.Unmarshal(r["deployment"], &d)
				var rel map[string]any
				json.Unmarshal(r["release"], &rel)
				d["release"] = rel // the API's deployment carries its release, artifacts included
				b, _ := json.Marshal(d)
				srv.Add(polltest.Route{Path: "/fabfiber/Fabrikam/_apis/git/repositories/app", Body: `{"name":"app","project":{"name":"Fabrikam"}}`})
				srv.Add(polltest.Route{Path: "/fabfiber/Fabrikam/_apis/release/deployments", Body: `{"count":1,"value":[` + string(b) + `]}`})
				return "fabfiber/Fabrikam/app"
			},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(testdataDir, tc.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			w, _ := New(goldenOptions)
			want, err := w.Parse(http.Header{}, body)
			if err != nil {
				t.Fatal(err)
			}
			var env struct {
				Resource map[string]json.RawMessage `json:"resource"`
			}
			json.Unmarshal(body, &env)
			srv := polltest.New(t, "")
			repo := tc.serve(srv, env.Resource)
			c, _ := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL})
			im, err := NewImporter(ImportOptions{Client: c, ReleaseClient: c, Repo: repo, Options: goldenOptions, Streams: []string{tc.stream}})
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
// From 2026-02-01 (testdata/backfill/azuredevops/PROVENANCE.md): PR 311
// (a1f0e2d 02-02 08:00, a2f0e2d 12:00) squash-completed as b3f0e2d
// (authored 02-03 09:00), released to Production by deployment 801 at
// 10:00; PR 312 (a3f0e2d 02-04 10:00) merged as c5f0e2d (11:00), released
// to Staging (802) and to Production by 803 at 13:00.
//
// Window [2026-02-01, 2026-02-08), 7 days:
//
//	deployments                   2 (Production), frequency 2 / 7
//	lead times (s): 801 at 02-03 10:00: b3f0e2d (09:00) 3,600; through PR
//	  311 a2f0e2d (02-02 12:00) 79,200, a1f0e2d (08:00) 93,600; 803 at
//	  02-04 13:00: c5f0e2d (11:00) 7,200; through PR 312 a3f0e2d (10:00) 10,800
//	sorted 3,600 7,200 10,800 79,200 93,600
//	median 10,800; p90 position 3.6: 79,200 + 0.6 × 14,400 = 87,840
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
				"change_lead_time_median_seconds": 10800,
				"change_lead_time_p90_seconds":    87840,
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
			BaseURL:    "https://dev.azure.test",
			HTTPClient: &http.Client{Transport: &polltest.Transport{Body: body, N: 5, Header: http.Header{"X-Ms-Continuationtoken": {"t"}}}},
			Clock:      polltest.NewClock(backfillNow), MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		im, err := NewImporter(ImportOptions{Client: c, ReleaseClient: c, Repo: "o/p/r", Options: Options{DeployWorkflows: []string{"*"}},
			Streams: []string{Streams()[int(stream)%len(Streams())]}})
		if err != nil {
			t.Fatal(err)
		}
		polltest.FuzzImport(t, im, backfillSince)
	})
}

package gitlab

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

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

const backfillDir = "../../testdata/backfill/gitlab"

var (
	backfillNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	backfillSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

// Commits of the recording (testdata/backfill/gitlab/PROVENANCE.md).
const (
	shaD1  = "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b401"
	shaD2  = "2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c502"
	shaQ1  = "3c4d5e6f708192a3b4c5d6e7f80912a3b4c5d603" // squash commit of !17
	shaD3  = "4d5e6f708192a3b4c5d6e7f80912a3b4c5d6e704"
	shaMC2 = "5e6f708192a3b4c5d6e7f80912a3b4c5d6e7f805" // merge commit of !18
)

func wantIDs() []string {
	ids := []string{
		"deployment:501", "deployment:502", "deployment:503", "deployment:504",
		"mr:acme/platform/payments!17:merged", "mr:acme/platform/payments!18:merged",
		"pipeline:9100:" + strconv.FormatInt(time.Date(2026, 2, 3, 9, 40, 0, 0, time.UTC).Unix(), 10),
		"pipeline:9102:" + strconv.FormatInt(time.Date(2026, 2, 4, 15, 10, 0, 0, time.UTC).Unix(), 10),
		"push:" + shaD1, "push:" + shaD2, "push:" + shaQ1, "push:" + shaD3, "push:" + shaMC2,
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
	srv.RequireHeader("PRIVATE-TOKEN", "glpat-test")
	return &fixture{srv: srv, clock: polltest.NewClock(backfillNow)}
}

func (f *fixture) importer(t *testing.T, mod func(*poll.ClientOptions)) *Importer {
	t.Helper()
	o := poll.ClientOptions{BaseURL: f.srv.URL + "/api/v4", Auth: poll.Auth{Token: "glpat-test", Name: "GITLAB_TOKEN"}, Clock: f.clock, Jitter: func() float64 { return 0 }}
	if mod != nil {
		mod(&o)
	}
	c, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ImportOptions{Client: c, Repo: "acme/platform/payments", PerPage: 2})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func (f *fixture) request() poll.Request {
	return poll.Request{Job: "payments", Since: backfillSince, Overlap: 24 * time.Hour, Now: f.clock.Now}
}

func TestImport(t *testing.T) {
	f := newFixture(t)
	var got polltest.Collector
	cp := poll.NewMemoryCheckpoint("payments")
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, cp); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs()) {
		t.Fatalf("ids\n got %v\nwant %v", ids, wantIDs())
	}
	for _, e := range got.Events() {
		if e.Repo != "acme/platform/payments" || e.Service != "payments" {
			t.Errorf("%s: repo %q service %q", e.ID, e.Repo, e.Service)
		}
	}
	mr, _ := got.ByID("mr:acme/platform/payments!17:merged")
	if !mr.Time.Equal(time.Date(2026, 2, 3, 9, 30, 0, 0, time.UTC)) || !slices.Equal(mr.Commits, []string{shaQ1, shaD2, shaD1}) {
		t.Errorf("squash merge: %s %v, want the merge time and [squash, last commit, the MR's other commits]", mr.Time, mr.Commits)
	}
	q1, _ := got.ByID("push:" + shaQ1)
	if !q1.Time.Equal(time.Date(2026, 2, 3, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("squash commit time %s, want its committed date in UTC", q1.Time)
	}
	d1, _ := got.ByID("push:" + shaD1)
	if d1.Links["change"] != "acme/platform/payments!17" {
		t.Errorf("MR commit links %v", d1.Links)
	}
	dep, _ := got.ByID("deployment:503")
	if dep.Outcome != "failure" || dep.Environment != "production" || !slices.Equal(dep.Commits, []string{shaMC2}) ||
		!dep.Time.Equal(time.Date(2026, 2, 4, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("deployment %+v", dep)
	}
	pl, _ := got.ByID(wantIDs()[6])
	if pl.Attributes["pipeline"] != "build" {
		t.Errorf("pipeline %+v: the name comes from the single-pipeline answer", pl)
	}
	if n := f.srv.Count("/api/v4/projects/4242/pipelines/9101"); n != 0 {
		t.Errorf("a running pipeline was read in detail")
	}
}

func TestImportRateLimitAndServerError(t *testing.T) {
	f := newFixture(t)
	reset := backfillNow.Add(40 * time.Second).Unix()
	f.srv.Inject(polltest.Fault{Path: "/api/v4/projects/4242/merge_requests", Query: map[string]string{"page": "2"}, Status: 429,
		Headers: map[string]string{"RateLimit-Limit": "2000", "RateLimit-Remaining": "0", "RateLimit-Reset": strconv.FormatInt(reset, 10)},
		Body:    "Retry later\n"})
	f.srv.Inject(polltest.Fault{Path: "/api/v4/projects/4242/pipelines/9100", Status: 500, Body: `{"message":"500 Internal Server Error"}`})
	var got polltest.Collector
	if err := f.importer(t, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("p")); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantIDs()) {
		t.Fatalf("ids %v", ids)
	}
	if want := []time.Duration{41 * time.Second, 500 * time.Millisecond}; !slices.Equal(f.clock.Sleeps(), want) {
		t.Fatalf("waits %v, want %v", f.clock.Sleeps(), want)
	}
}

func TestImportResumes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fixture) *polltest.Collector
		check func(t *testing.T, first error)
		// resumedAt is the request that must open the resumed stream.
		stream, resumedAt string
	}{
		{
			name: "server error on a second page",
			setup: func(f *fixture) *polltest.Collector {
				f.srv.Inject(polltest.Fault{Path: "/api/v4/projects/4242/deployments", Query: map[string]string{"page": "2"}, Status: 503, Times: 3})
				return &polltest.Collector{}
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "deployments") || !strings.Contains(err.Error(), "503") {
					t.Fatalf("first run: %v", err)
				}
			},
			stream: StreamDeployments, resumedAt: "GET /api/v4/projects/4242/deployments?order_by=updated_at&page=2",
		},
		{
			name: "interrupted while storing",
			setup: func(*fixture) *polltest.Collector {
				return &polltest.Collector{FailAfter: 3} // commits 1, 2, merge requests 1
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, polltest.ErrSinkStopped) {
					t.Fatalf("first run: %v", err)
				}
			},
			stream: StreamMergeRequests, resumedAt: "GET /api/v4/projects/4242/merge_requests?order_by=updated_at&page=2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, err := poll.OpenCheckpoints(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t)
			im := f.importer(t, func(o *poll.ClientOptions) { o.MaxAttempts = 3 })
			first := tc.setup(f)
			cp, _ := store.Open("payments")
			tc.check(t, im.Import(context.Background(), f.request(), first.Sink, cp))
			before := len(f.srv.Requests())
			cp, _ = store.Open("payments")
			var second polltest.Collector
			if err := im.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
				t.Fatal(err)
			}
			var streamReqs []string
			for _, r := range f.srv.Requests()[before:] {
				if strings.Contains(r, "/4242/"+strings.ReplaceAll(tc.stream, "_", "_")+"?") {
					streamReqs = append(streamReqs, r)
				}
			}
			if len(streamReqs) != 1 || !strings.HasPrefix(streamReqs[0], tc.resumedAt) {
				t.Fatalf("%s after the resume: %v, want only %s...", tc.stream, streamReqs, tc.resumedAt)
			}
			all := append(first.IDs(), second.IDs()...)
			slices.Sort(all)
			if all = slices.Compact(all); !slices.Equal(all, wantIDs()) {
				t.Fatalf("ids over both runs %v", all)
			}
		})
	}
}

func TestImportRefusedToken(t *testing.T) {
	f := newFixture(t)
	c, err := NewAPIClient(poll.ClientOptions{BaseURL: f.srv.URL + "/api/v4", Auth: poll.Auth{Token: "glpat-expired", Name: "GITLAB_TOKEN"}, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImporter(ImportOptions{Client: c, Repo: "acme/platform/payments"})
	if err != nil {
		t.Fatal(err)
	}
	err = im.Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), "GITLAB_TOKEN") || strings.Contains(err.Error(), "glpat-expired") {
		t.Fatalf("err %v", err)
	}
}

// TestImportMatchesWebhook builds API answers for the facts of real hook
// deliveries (testdata/webhooks/gitlab) and checks that the importer gives
// the events the webhook gives: same ids, times, commits and outcomes.
func TestImportMatchesWebhook(t *testing.T) {
	read := func(t *testing.T, name string) (map[string]any, []ingest.Event) {
		body, err := os.ReadFile(filepath.Join(testdataDir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := New(goldenOptions)
		evs, err := w.Parse(http.Header{}, body)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		json.Unmarshal(body, &p)
		return p, evs
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, tc := range []struct {
		file, stream string
		serve        func(srv *polltest.Server, p map[string]any, prefix string)
	}{
		{
			file: "deployment.success", stream: StreamDeployments,
			serve: func(srv *polltest.Server, p map[string]any, prefix string) {
				sha := p["commit_url"].(string)[strings.LastIndex(p["commit_url"].(string), "/")+1:]
				t, _ := ParseTime(p["status_changed_at"].(string))
				d := map[string]any{"id": p["deployment_id"], "ref": p["ref"], "sha": sha, "status": p["status"],
					"updated_at": t.Format(time.RFC3339), "finished_at": t.Format(time.RFC3339), "user": p["user"],
					"environment": map[string]any{"name": p["environment"]}, "deployable": map[string]any{"id": p["deployable_id"]}}
				srv.Add(polltest.Route{Path: prefix + "/deployments", Body: "[" + js(d) + "]"})
			},
		},
		{
			file: "pipeline.success", stream: StreamPipelines,
			serve: func(srv *polltest.Server, p map[string]any, prefix string) {
				oa := p["object_attributes"].(map[string]any)
				srv.Add(polltest.Route{Path: prefix + "/pipelines", Body: "[" + js(map[string]any{"id": oa["id"], "status": oa["status"]}) + "]"})
				srv.Add(polltest.Route{Path: prefix + "/pipelines/31", Body: js(oa)})
			},
		},
		{
			file: "merge_request.merge", stream: StreamMergeRequests,
			serve: func(srv *polltest.Server, p map[string]any, prefix string) {
				oa := p["object_attributes"].(map[string]any)
				mr := map[string]any{"iid": oa["iid"], "title": oa["title"], "state": "merged", "source_branch": oa["source_branch"],
					"target_branch": oa["target_branch"], "sha": oa["last_commit"].(map[string]any)["id"], "merge_commit_sha": oa["merge_commit_sha"],
					"updated_at": oa["updated_at"], "merge_user": p["user"]}
				srv.Add(polltest.Route{Path: prefix + "/merge_requests", Body: "[" + js(mr) + "]"})
				srv.Add(polltest.Route{Path: prefix + "/merge_requests/1/commits", Body: "[]"})
			},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p, want := read(t, tc.file)
			path := p["project"].(map[string]any)["path_with_namespace"].(string)
			srv := polltest.New(t, "")
			srv.Add(polltest.Route{Path: "/api/v4/projects/" + path, Body: js(map[string]any{"id": 77, "path_with_namespace": path})})
			tc.serve(srv, p, "/api/v4/projects/77")
			c, _ := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL + "/api/v4"})
			im, err := NewImporter(ImportOptions{Client: c, Repo: path, Options: goldenOptions, Streams: []string{tc.stream}})
			if err != nil {
				t.Fatal(err)
			}
			var got polltest.Collector
			if err := im.Import(context.Background(), poll.Request{Since: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)}, got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
				t.Fatal(err)
			}
			evs := got.Events()
			if len(evs) != len(want) {
				t.Fatalf("imported %+v\nwebhook %+v", evs, want)
			}
			for i := range want {
				g, w := evs[i], want[i]
				if g.ID != w.ID || g.Type != w.Type || !g.Time.Equal(w.Time) || g.Subject != w.Subject || g.Outcome != w.Outcome ||
					g.Environment != w.Environment || g.Service != w.Service || !slices.Equal(g.Commits, w.Commits) {
					t.Fatalf("imported %+v\nwebhook  %+v", g, w)
				}
			}
		})
	}
}

// TestImportEndToEnd imports the recording into a real store twice and
// checks the DORA measures against values computed by hand.
//
// From 2026-02-01 (testdata/backfill/gitlab/PROVENANCE.md): !17 (commits
// 1a2b3c4 at 02-02 09:00 and 2b3c4d5 at 16:00) squash-merged as 3c4d5e6
// (committed 02-03 09:30) and deployed to production by 501 at 02-03
// 10:30; !18 (4d5e6f7 at 02-04 11:00) merged as 5e6f708 (15:00), deployed
// to staging (502, not production), to production by 503 which failed at
// 16:00, and by 504 at 17:00.
//
// Window [2026-02-01, 2026-02-08), 7 days; production deployments 501,
// 503, 504:
//
//	deployments                   3
//	deployment_frequency_per_day  2 successful / 7 = 0.285714...
//	change_failure_rate           1 / 3
//	recovery of 503               17:00 - 16:00 = 3,600 s (the next success)
//	lead times (s): 501 at 02-03 10:30 carries 3c4d5e6 (09:30) -> 3,600,
//	  and through !17 2b3c4d5 (02-02 16:00) -> 66,600, 1a2b3c4 (09:00) -> 91,800;
//	  5e6f708 first reaches production with 504 at 02-04 17:00:
//	  5e6f708 (15:00) -> 7,200, through !18 4d5e6f7 (11:00) -> 21,600
//	sorted 3,600 7,200 21,600 66,600 91,800
//	median  position 2 = 21,600
//	p90     position 3.6: 66,600 + 0.6 × 25,200 = 81,720
func TestImportEndToEnd(t *testing.T) {
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			f := newFixture(t)
			polltest.ImportTwice(t, eng.Store, f.importer(t, nil), f.request(), len(wantIDs()))
			polltest.CheckMeasures(t, eng.Store, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 8, 0, 0, 0, 0, time.UTC), map[string]float64{
				"deployments":                                    3,
				"deployment_frequency_per_day":                   2.0 / 7,
				"change_failure_rate":                            1.0 / 3,
				"failed_deployment_recovery_time_median_seconds": 3600,
				"change_lead_time_samples":                       5,
				"change_lead_time_median_seconds":                21600,
				"change_lead_time_p90_seconds":                   81720,
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
			BaseURL:    "https://gitlab.test/api/v4",
			HTTPClient: &http.Client{Transport: &polltest.Transport{Body: body, N: 5}},
			Clock:      polltest.NewClock(backfillNow), MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		im, err := NewImporter(ImportOptions{Client: c, Repo: "g/p", Streams: []string{Streams()[int(stream)%len(Streams())]}})
		if err != nil {
			t.Fatal(err)
		}
		polltest.FuzzImport(t, im, backfillSince)
	})
}

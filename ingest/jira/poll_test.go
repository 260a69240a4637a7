package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

const pollDir = "../../testdata/backfill/jira"

var (
	pollNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	pollSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

var pollOptions = Options{
	ProjectServices:   map[string]string{"SHOP": "storefront"},
	ComponentServices: map[string]string{"Payments": "payments"},
}

func wantPollIDs() []string {
	ids := []string{
		// Transitions are keyed by their changelog entry (histories[].id).
		"SHOP-101:created", "SHOP-101:started:20001", "SHOP-101:started:20002",
		"SHOP-101:done:20003",
		"SHOP-102:created", "SHOP-102:started:20010",
		"SHOP-103:opened", "SHOP-103:acknowledged:20020", "SHOP-103:resolved:20021",
		"SHOP-104:created",
	}
	slices.Sort(ids)
	return ids
}

type pollFixture struct {
	srv   *polltest.Server
	clock *polltest.Clock
}

func newPollFixture(t *testing.T) *pollFixture {
	t.Helper()
	srv := polltest.New(t, pollDir)
	srv.RequireHeader("Authorization", "Basic YW15QGFjbWUuZXhhbXBsZTphcGktdG9rZW4=") // amy@acme.example:api-token
	return &pollFixture{srv: srv, clock: polltest.NewClock(pollNow)}
}

var goodAuth = poll.Auth{Username: "amy@acme.example", Token: "api-token", Name: "JIRA_API_TOKEN"}

func (f *pollFixture) poller(t *testing.T, api string, auth poll.Auth, mod func(*poll.ClientOptions)) *Poller {
	t.Helper()
	o := poll.ClientOptions{BaseURL: f.srv.URL, Auth: auth, Clock: f.clock, Jitter: func() float64 { return 0 }}
	if mod != nil {
		mod(&o)
	}
	c, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(ImportOptions{Client: c, Options: pollOptions, Project: "SHOP", API: api, TimeZone: "Europe/Berlin", MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *pollFixture) request() poll.Request {
	return poll.Request{Job: "jira", Since: pollSince, Overlap: 10 * time.Minute, Now: f.clock.Now}
}

func TestPoll(t *testing.T) {
	for _, api := range []string{APICloud, APIDataCenter} {
		t.Run(api, func(t *testing.T) {
			f := newPollFixture(t)
			var got polltest.Collector
			if err := f.poller(t, api, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("j")); err != nil {
				t.Fatal(err)
			}
			if ids := got.IDs(); !slices.Equal(ids, wantPollIDs()) {
				t.Fatalf("ids\n got %v\nwant %v", ids, wantPollIDs())
			}
			story, _ := got.ByID("SHOP-101:created")
			if story.Kind != "feature" || story.Service != "storefront" || !story.Time.Equal(time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)) {
				t.Errorf("story %+v", story)
			}
			for id, at := range map[string]time.Time{
				"SHOP-101:started:20001": time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC),
				"SHOP-101:started:20002": time.Date(2026, 2, 3, 14, 0, 0, 0, time.UTC),
				"SHOP-101:done:20003":    time.Date(2026, 2, 4, 10, 0, 0, 0, time.UTC),
			} {
				if e, _ := got.ByID(id); !e.Time.Equal(at) {
					t.Errorf("%s at %s, want %s (the changelog entry's time)", id, e.Time, at)
				}
			}
			inc, _ := got.ByID("SHOP-103:opened")
			if inc.Type != ingest.TypeIncidentOpened || inc.Priority != "P1" || inc.Service != "storefront" {
				t.Errorf("incident %+v", inc)
			}
			for _, r := range f.srv.Requests() {
				u, _ := url.Parse(strings.TrimPrefix(r, "GET "))
				if jql := u.Query().Get("jql"); jql != "" {
					if want := `updated >= "2026/02/01 00:00" AND project = "SHOP" ORDER BY created ASC, key ASC`; jql != want {
						t.Errorf("jql %q, want %q", jql, want)
					}
					if u.Query().Get("expand") != "changelog" {
						t.Errorf("changelog not expanded: %s", r)
					}
				}
			}
			if api == APICloud && f.srv.Count("/rest/api/3/issue/SHOP-101/changelog") != 1 {
				t.Errorf("the truncated changelog of SHOP-101 was not read in full")
			}
		})
	}
}

func TestJQLTime(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	at := time.Date(2026, 2, 1, 3, 4, 59, 0, time.UTC)
	if got := JQLTime(at, time.UTC); got != "2026/02/01 03:04" {
		t.Errorf("utc %s", got)
	}
	if got := JQLTime(at, ny); got != "2026/01/31 22:04" {
		t.Errorf("new york %s", got)
	}
}

func TestPollFailedLogin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault polltest.Fault
		want  string
	}{
		{"401", polltest.Fault{Path: "/rest/api/3/status", Status: 401,
			Body: `{"errorMessages":["Client must be authenticated to access this resource."],"errors":{}}`}, "401"},
		{"seraph", polltest.Fault{Path: "/rest/api/3/status", Status: 200, Headers: map[string]string{"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}, Body: `[]`},
			"AUTHENTICATED_FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPollFixture(t)
			f.srv.Inject(tc.fault)
			err := f.poller(t, APICloud, poll.Auth{Username: "amy@acme.example", Token: "revoked-token", Name: "JIRA_API_TOKEN"}, nil).
				Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
			if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "JIRA_API_TOKEN") || !strings.Contains(err.Error(), `user "amy@acme.example"`) {
				t.Fatalf("err %v", err)
			}
			if strings.Contains(err.Error(), "revoked-token") {
				t.Fatalf("error leaks the token: %v", err)
			}
		})
	}
}

func TestPollRateLimitAndResume(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newPollFixture(t)
	// Jira Cloud's 429: Retry-After in seconds, X-RateLimit-Reset as a
	// time (which the client does not need).
	f.srv.Inject(polltest.Fault{Path: "/rest/api/3/search/jql", Query: map[string]string{"nextPageToken": ""}, Status: 429,
		Headers: map[string]string{"Retry-After": "5", "X-RateLimit-Limit": "350", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-02-06T18:00:05Z"}})
	// The process stops while storing the second page.
	first := polltest.Collector{FailAfter: 1}
	p := f.poller(t, APICloud, goodAuth, nil)
	cp, _ := store.Open("j")
	if err := p.Import(context.Background(), f.request(), first.Sink, cp); !errors.Is(err, polltest.ErrSinkStopped) {
		t.Fatalf("first run: %v", err)
	}
	if got := f.clock.Sleeps(); !slices.Equal(got, []time.Duration{5 * time.Second}) {
		t.Fatalf("waits %v", got)
	}
	cp, _ = store.Open("j")
	if st := cp.Stream(StreamIssues); st.Next != "token=CAEaAggD" {
		t.Fatalf("checkpoint %+v", st)
	}
	before := len(f.srv.Requests())
	var second polltest.Collector
	if err := p.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.srv.Requests()[before:] {
		if strings.Contains(r, "/search/jql") && !strings.Contains(r, "nextPageToken=CAEaAggD") {
			t.Errorf("the first page was read again: %s", r)
		}
	}
	all := append(first.IDs(), second.IDs()...)
	slices.Sort(all)
	if all = slices.Compact(all); !slices.Equal(all, wantPollIDs()) {
		t.Fatalf("ids over both runs %v", all)
	}
	// The next poll starts at the finished pass's start less the overlap,
	// read in Berlin or UTC, whichever is earlier.
	f.clock.Advance(time.Hour)
	before = len(f.srv.Requests())
	if err := p.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.srv.Requests()[before:] {
		if strings.Contains(r, "/search/jql") && !strings.Contains(r, url.QueryEscape(`updated >= "2026/02/06 17:50"`)) {
			t.Errorf("incremental search %s", r)
		}
	}
}

func TestPollReimportAddsNothing(t *testing.T) {
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			f := newPollFixture(t)
			polltest.ImportTwice(t, eng.Store, f.poller(t, APICloud, goodAuth, nil), f.request(), len(wantPollIDs()))
		})
	}
}

// TestPollMatchesWebhook polls the issue of each webhook test delivery of
// a transition, with the changelog entry dated some milliseconds before
// the delivery as Jira does, and checks that the poller gives the
// webhook's event id: keyed by the changelog id, not by a time.
func TestPollMatchesWebhook(t *testing.T) {
	o := Options{Token: "t", ProjectServices: map[string]string{"SHOP": "storefront"}, ProjectProducts: map[string]string{"SHOP": "webshop"}}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file   string
		wantID string
		// sameTime: a done event takes the resolution date, which the
		// webhook and the API share; a start takes the delivery's or
		// the entry's time, which differ by the lag.
		sameTime bool
	}{
		{"jira_issue_updated.status.json", "TEST-1:started:10000", false},
		{"jira_issue_updated.done.json", "SHOP-101:done:10200", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile("../../testdata/webhooks/jira/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := w.Parse(http.Header{}, body)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 1 || want[0].ID != tc.wantID {
				t.Fatalf("webhook gave %+v, want id %s", want, tc.wantID)
			}
			var p struct {
				Timestamp int64           `json:"timestamp"`
				Issue     json.RawMessage `json:"issue"`
				Changelog struct {
					ID    string            `json:"id"`
					Items []json.RawMessage `json:"items"`
				} `json:"changelog"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			var issue map[string]any
			if err := json.Unmarshal(p.Issue, &issue); err != nil {
				t.Fatal(err)
			}
			entryAt := time.UnixMilli(p.Timestamp - 900).UTC() // the entry is written before the delivery (into the previous second here)
			issue["changelog"] = map[string]any{"startAt": 0, "maxResults": 1, "total": 1, "histories": []any{map[string]any{
				"id": p.Changelog.ID, "created": entryAt.Format("2006-01-02T15:04:05.000-0700"), "items": p.Changelog.Items,
			}}}
			page, _ := json.Marshal(map[string]any{"issues": []any{issue}, "isLast": true})
			srv := polltest.New(t, "")
			srv.Add(polltest.Route{Path: "/rest/api/3/status", Body: `[]`})
			srv.Add(polltest.Route{Path: "/rest/api/3/search/jql", Body: string(page)})
			c, _ := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL, Auth: goodAuth})
			po := o
			po.Token = ""
			pl, err := NewPoller(ImportOptions{Client: c, API: APICloud, Options: po})
			if err != nil {
				t.Fatal(err)
			}
			var got polltest.Collector
			if err := pl.Import(context.Background(), poll.Request{Since: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)}, got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
				t.Fatal(err)
			}
			polled, ok := got.ByID(want[0].ID)
			if !ok {
				t.Fatalf("polled %v, want the webhook's %s", got.IDs(), want[0].ID)
			}
			if polled.Type != want[0].Type || polled.Service != want[0].Service || polled.Product != want[0].Product {
				t.Fatalf("polled %+v\nwebhook %+v", polled, want[0])
			}
			if tc.sameTime && !polled.Time.Equal(want[0].Time) {
				t.Fatalf("polled at %s, webhook at %s", polled.Time, want[0].Time)
			}
			if !tc.sameTime && polled.Time.Equal(want[0].Time) {
				t.Fatalf("the fixture should date the entry and the delivery apart; both %s", polled.Time)
			}
			var transitions int
			for _, e := range got.Events() {
				if e.Type == want[0].Type {
					transitions++
				}
			}
			if transitions != 1 {
				t.Fatalf("%d %s events polled, want 1", transitions, want[0].Type)
			}
		})
	}
}

// TestTransitionIDFallback: a delivery without a changelog id is keyed by
// its timestamp, as before.
func TestTransitionIDFallback(t *testing.T) {
	w := newWebhook(t, Options{Token: "t"})
	for _, tc := range []struct{ changelog, want string }{
		{`{"id":"10444","items":[{"field":"status"}]}`, "A-1:started:10444"},
		{`{"id":10444,"items":[{"field":"status"}]}`, "A-1:started:10444"},
		{`{"items":[{"field":"status"}]}`, "A-1:started:2017-01-30T17:32:14.721Z"},
		{`{"id":"","items":[{"field":"status"}]}`, "A-1:started:2017-01-30T17:32:14.721Z"},
		{`{"id":{"x":1},"items":[{"field":"status"}]}`, "A-1:started:2017-01-30T17:32:14.721Z"},
	} {
		body := `{"webhookEvent":"jira:issue_updated","timestamp":1485797534721,"issue":{"key":"A-1","fields":{"status":{"statusCategory":{"key":"indeterminate"}}}},"changelog":` + tc.changelog + `}`
		evs, err := w.Parse(nil, []byte(body))
		if err != nil || len(evs) != 1 || evs[0].ID != tc.want {
			t.Errorf("changelog %s: %+v, %v; want id %s", tc.changelog, evs, err, tc.want)
		}
	}
}

func FuzzPollPage(f *testing.F) {
	for _, file := range []string{"search.1.json", "search.2.json", "dc.search.1.json"} {
		b, err := os.ReadFile(filepath.Join(pollDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, b)
		f.Add(true, b)
	}
	f.Fuzz(func(t *testing.T, cloud bool, body []byte) {
		c, err := NewAPIClient(poll.ClientOptions{
			BaseURL:    "https://acme.atlassian.test",
			HTTPClient: &http.Client{Transport: &polltest.Transport{Body: body, N: 4}},
			Auth:       poll.Auth{Token: "t"},
			Clock:      polltest.NewClock(pollNow), MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		api := APIDataCenter
		if cloud {
			api = APICloud
		}
		p, err := NewPoller(ImportOptions{Client: c, API: api, Options: pollOptions})
		if err != nil {
			t.Fatal(err)
		}
		var got polltest.Collector
		_ = p.Import(context.Background(), poll.Request{Since: pollSince}, got.Sink, poll.NewMemoryCheckpoint("f"))
		for _, e := range got.Events() {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event %+v: %v", e, err)
			}
		}
	})
}

package servicenow

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
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

const pollDir = "../../testdata/backfill/servicenow"

var (
	pollNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	pollSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

var pollOptions = Options{
	TimeZone:        "Europe/Berlin",
	CIServices:      map[string]string{"Payments API": "payments"},
	AutomationUsers: []string{"svc.autoheal"},
}

func wantPollIDs() []string {
	ids := []string{
		"INC0010001:opened", "INC0010001:acknowledged", "INC0010001:resolved:2026-02-02T10:30:00Z",
		"INC0010002:opened", "INC0010002:acknowledged",
		"INC0010003:opened", "INC0010003:acknowledged", "INC0010003:resolved:2026-02-04T06:40:00Z",
		"INC0010004:opened", "INC0010005:opened",
		"CHG0030101:created", "CHG0030101:approved", "CHG0030101:closed",
		"CHG0030102:created", "CHG0030102:approved",
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
	srv.RequireHeader("Authorization", "Basic dGhyb3VnaGxpbmU6czNjcmV0") // throughline:s3cret
	return &pollFixture{srv: srv, clock: polltest.NewClock(pollNow)}
}

func (f *pollFixture) poller(t *testing.T, auth poll.Auth, mod func(*poll.ClientOptions)) *Poller {
	t.Helper()
	o := poll.ClientOptions{BaseURL: f.srv.URL, Auth: auth, Clock: f.clock, Jitter: func() float64 { return 0 }}
	if mod != nil {
		mod(&o)
	}
	c, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(ImportOptions{Client: c, Options: pollOptions, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var goodAuth = poll.Auth{Username: "throughline", Password: "s3cret", Name: "SERVICENOW_PASSWORD"}

func (f *pollFixture) request() poll.Request {
	return poll.Request{Job: "sn", Since: pollSince, Overlap: 10 * time.Minute, Now: f.clock.Now}
}

func TestPoll(t *testing.T) {
	f := newPollFixture(t)
	var got polltest.Collector
	cp := poll.NewMemoryCheckpoint("sn")
	if err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, cp); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantPollIDs()) {
		t.Fatalf("ids\n got %v\nwant %v", ids, wantPollIDs())
	}
	inc, _ := got.ByID("INC0010001:opened")
	if inc.Service != "payments" || inc.Priority != "P1" || inc.Links["change_request"] != "CHG0030101" ||
		!inc.Time.Equal(time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)) || inc.Attributes["assignment_group"] != "Service Desk" {
		t.Errorf("incident %+v: the value halves are UTC, display values map services", inc)
	}
	res, _ := got.ByID("INC0010003:resolved:2026-02-04T06:40:00Z")
	if !res.Automated {
		t.Errorf("resolution by svc.autoheal must be automated: %+v", res)
	}
	cl, _ := got.ByID("CHG0030101:closed")
	if cl.Outcome != "success" {
		t.Errorf("change %+v", cl)
	}
	// Three incident pages by offset, one change page.
	var offsets []string
	for _, r := range f.srv.Requests() {
		u, _ := url.Parse(strings.TrimPrefix(r, "GET "))
		q := u.Query()
		if u.Path == "/api/now/table/incident" {
			offsets = append(offsets, q.Get("sysparm_offset"))
		}
		if q.Get("sysparm_display_value") != "all" || q.Get("sysparm_limit") != "2" {
			t.Errorf("request %s", r)
		}
		if want := "sys_updated_on>=2026-02-01 00:00:00^ORDERBYsys_created_on^ORDERBYsys_id"; q.Get("sysparm_query") != want {
			t.Errorf("query %q, want %q", q.Get("sysparm_query"), want)
		}
	}
	if !slices.Equal(offsets, []string{"0", "2", "4"}) {
		t.Errorf("incident offsets %v", offsets)
	}
	if st := cp.Stream("incident"); st.InProgress || !st.Watermark.Equal(pollNow) {
		t.Errorf("incident stream %+v", st)
	}
}

func TestQueryTime(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "2026-02-01 03:00:00"},
		{berlin, "2026-02-01 03:00:00"}, // ahead of UTC: the UTC reading is earlier
		{ny, "2026-01-31 22:00:00"},     // behind UTC: the local reading is earlier
	} {
		if got := QueryTime(at, tc.loc); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.loc, got, tc.want)
		}
	}
}

func TestPollFailedLogin(t *testing.T) {
	f := newPollFixture(t)
	f.srv.Inject(polltest.Fault{Path: "/api/now/table/incident", Status: 401,
		Body: `{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`})
	err := f.poller(t, poll.Auth{Username: "throughline", Password: "wrong-pw", Name: "SERVICENOW_PASSWORD"}, nil).
		Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{`user "throughline"`, "SERVICENOW_PASSWORD", "User Not Authenticated", "401"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestPollOAuth(t *testing.T) {
	var tokens int
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth_token.do", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_secret") != "cs" {
			w.WriteHeader(401)
			w.Write([]byte(`{"error_description":"access_denied","error":"server_error"}`))
			return
		}
		tokens++
		w.Write([]byte(`{"access_token":"sn-at","scope":"useraccount","token_type":"Bearer","expires_in":1799}`))
	})
	mux.HandleFunc("GET /api/now/table/{table}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sn-at" {
			w.WriteHeader(401)
			return
		}
		w.Write([]byte(`{"result":[]}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		secret, wantErr string
	}{{"cs", ""}, {"bad", "SERVICENOW_CLIENT_SECRET"}} {
		c, err := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL, Auth: poll.Auth{ClientID: "3e57bb02", ClientSecret: tc.secret, Name: "SERVICENOW_CLIENT_SECRET"}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPoller(ImportOptions{Client: c, Options: pollOptions})
		if err != nil {
			t.Fatal(err)
		}
		err = p.Import(context.Background(), poll.Request{Since: pollSince}, (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("o"))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Fatal(err)
		case tc.wantErr != "" && (!errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), tc.secret+"\"")):
			t.Fatalf("bad secret: %v", err)
		}
	}
	if tokens != 1 {
		t.Fatalf("%d tokens fetched for two tables, want 1", tokens)
	}
}

func TestPollRateLimitAndResume(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newPollFixture(t)
	// A rate limit rule on the second page, then the third page fails for
	// good: the run stops after storing two pages.
	f.srv.Inject(polltest.Fault{Path: "/api/now/table/incident", Query: map[string]string{"sysparm_offset": "2"}, Status: 429,
		Headers: map[string]string{"Retry-After": "30", "X-RateLimit-Limit": "100", "X-RateLimit-Rule": "throughline-integration",
			"X-RateLimit-Reset": strconv.FormatInt(pollNow.Add(30*time.Second).Unix(), 10)},
		Body: `{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 100 requests per hour for rule throughline-integration exceeded"},"status":"failure"}`})
	f.srv.Inject(polltest.Fault{Path: "/api/now/table/incident", Query: map[string]string{"sysparm_offset": "4"}, Status: 503, Times: 2})
	p := f.poller(t, goodAuth, func(o *poll.ClientOptions) { o.MaxAttempts = 2 })
	var first polltest.Collector
	cp, _ := store.Open("sn")
	err = p.Import(context.Background(), f.request(), first.Sink, cp)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("first run: %v", err)
	}
	if got := f.clock.Sleeps(); len(got) != 2 || got[0] != 30*time.Second {
		t.Fatalf("waits %v: 30s for the rate limit, then a backoff", got)
	}
	if st := cp.Stream("incident"); !st.InProgress || st.Next != "offset=4" || st.Items != 4 {
		t.Fatalf("checkpoint %+v", st)
	}
	before := len(f.srv.Requests())
	cp, _ = store.Open("sn")
	var second polltest.Collector
	if err := p.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	after := f.srv.Requests()[before:]
	if len(after) != 2 || !strings.Contains(after[0], "sysparm_offset=4") || !strings.Contains(after[1], "/change_request") {
		t.Fatalf("resumed requests %v: the third incident page, then the changes", after)
	}
	all := append(first.IDs(), second.IDs()...)
	slices.Sort(all)
	if all = slices.Compact(all); !slices.Equal(all, wantPollIDs()) {
		t.Fatalf("ids over both runs %v", all)
	}

	// The next poll starts at the finished pass's start less the overlap.
	f.clock.Advance(time.Hour)
	before = len(f.srv.Requests())
	if err := p.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	if r := f.srv.Requests()[before]; !strings.Contains(r, url.QueryEscape("sys_updated_on>=2026-02-06 17:50:00")) {
		t.Fatalf("incremental query %s, want from 17:50 (18:00 less 10m)", r)
	}
}

func TestPollReimportAddsNothing(t *testing.T) {
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			f := newPollFixture(t)
			polltest.ImportTwice(t, eng.Store, f.poller(t, goodAuth, nil), f.request(), len(wantPollIDs()))
		})
	}
}

// TestPollMatchesWebhook pushes the same records as a Business Rule would
// and checks the webhook yields the poller's events.
func TestPollMatchesWebhook(t *testing.T) {
	f := newPollFixture(t)
	var got polltest.Collector
	if err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
		t.Fatal(err)
	}
	o := pollOptions
	o.Token = "t"
	w := newWebhook(t, o)
	var pushed []ingest.Event
	for _, file := range []string{"incident.1.json", "incident.2.json", "incident.3.json", "change_request.1.json"} {
		body, err := os.ReadFile(filepath.Join(pollDir, file))
		if err != nil {
			t.Fatal(err)
		}
		evs, err := w.Parse(http.Header{}, body)
		if err != nil {
			t.Fatal(err)
		}
		pushed = append(pushed, evs...)
	}
	if len(pushed) != len(got.Events()) {
		t.Fatalf("pushed %d events, polled %d", len(pushed), len(got.Events()))
	}
	for i, e := range got.Events() {
		if e.ID != pushed[i].ID || !e.Time.Equal(pushed[i].Time) || e.Service != pushed[i].Service {
			t.Errorf("polled %+v\npushed %+v", e, pushed[i])
		}
	}
}

func FuzzPollPage(f *testing.F) {
	for _, file := range []string{"incident.1.json", "change_request.1.json"} {
		b, err := os.ReadFile(filepath.Join(pollDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"result":[]}`))
	f.Add([]byte(`{"result":{"number":"INC1","opened_at":"2026-01-01 00:00:00"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := NewAPIClient(poll.ClientOptions{
			BaseURL:    "https://acme.service-now.test",
			HTTPClient: &http.Client{Transport: &polltest.Transport{Body: body, N: 4}},
			Auth:       poll.Auth{Username: "u", Password: "p"},
			Clock:      polltest.NewClock(pollNow), MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPoller(ImportOptions{Client: c, Options: pollOptions, Limit: 1})
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

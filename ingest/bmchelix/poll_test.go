package bmchelix

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

const pollDir = "../../testdata/backfill/bmchelix"

var (
	pollNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	pollSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

var pollOptions = Options{CIServices: map[string]string{"Payments API": "payments", "Checkout": "checkout"}}

func wantPollIDs() []string {
	ids := []string{
		"INC000000000101:opened", "INC000000000101:acknowledged", "INC000000000101:resolved:2026-02-02T10:30:00Z",
		"INC000000000102:opened", "INC000000000102:acknowledged",
		"INC000000000103:opened", "INC000000000103:acknowledged", "INC000000000103:resolved:2026-02-04T06:40:00Z",
		"INC000000000104:opened", "INC000000000105:opened",
		"CRQ000000001001:created", "CRQ000000001001:approved", "CRQ000000001001:closed",
		"CRQ000000001002:created", "CRQ000000001002:approved",
		"CRQ000000001003:created", "CRQ000000001003:approved", "CRQ000000001003:closed",
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
	return &pollFixture{srv: polltest.New(t, pollDir), clock: polltest.NewClock(pollNow)}
}

var goodAuth = poll.Auth{Username: "throughline", Password: "s3cret", Name: "HELIX_PASSWORD"}

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

func (f *pollFixture) request() poll.Request {
	return poll.Request{Job: "helix", Since: pollSince, Overlap: 10 * time.Minute, Now: f.clock.Now}
}

const incidentPath = "/api/arsys/v1/entry/HPD:Help Desk"

func TestPoll(t *testing.T) {
	f := newPollFixture(t)
	var got polltest.Collector
	cp := poll.NewMemoryCheckpoint("helix")
	if err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, cp); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantPollIDs()) {
		t.Fatalf("ids\n got %v\nwant %v", ids, wantPollIDs())
	}
	inc, _ := got.ByID("INC000000000101:opened")
	if inc.Service != "payments" || inc.Priority != "P1" || inc.Attributes["assignment_group"] != "Service Desk" ||
		!inc.Time.Equal(time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("incident %+v", inc)
	}
	if e, _ := got.ByID("INC000000000102:opened"); e.Service != "core-router-01" || e.Priority != "P2" {
		t.Errorf("a CI without ServiceCI is the service: %+v", e)
	}
	if e, _ := got.ByID("INC000000000104:opened"); e.Service != "unassigned" || e.Priority != "P4" {
		t.Errorf("no CI: %+v", e)
	}
	if e, _ := got.ByID("INC000000000103:resolved:2026-02-04T06:40:00Z"); !e.Automated {
		t.Errorf("Automated Resolution Reported must be automated: %+v", e)
	}
	if e, _ := got.ByID("INC000000000101:resolved:2026-02-02T10:30:00Z"); e.Automated {
		t.Errorf("a person's resolution is not automated: %+v", e)
	}
	for id, want := range map[string]struct {
		kind, outcome string
		automated     bool
	}{
		"CRQ000000001001:created":  {kind: "normal"},
		"CRQ000000001001:closed":   {outcome: "success"},
		"CRQ000000001002:approved": {automated: true},
		"CRQ000000001003:created":  {kind: "emergency"},
		"CRQ000000001003:closed":   {outcome: "failure"},
	} {
		e, _ := got.ByID(id)
		if e.Kind != want.kind || e.Outcome != want.outcome || e.Automated != want.automated {
			t.Errorf("%s: %+v, want %+v", id, e, want)
		}
	}
	var offsets []string
	for _, r := range f.srv.Requests() {
		u, _ := url.Parse(strings.TrimPrefix(r, "GET "))
		q := u.Query()
		if u.Path == incidentPath {
			offsets = append(offsets, q.Get("offset"))
			if want := "'Last Modified Date' >= 1769904000"; q.Get("q") != want {
				t.Errorf("q %q, want %q", q.Get("q"), want)
			}
			if want := "Submit Date.asc,Incident Number.asc"; q.Get("sort") != want || q.Get("limit") != "2" {
				t.Errorf("request %s", r)
			}
		}
	}
	if !slices.Equal(offsets, []string{"0", "2", "4"}) {
		t.Errorf("incident offsets %v", offsets)
	}
	if n := f.srv.Count("/api/jwt/login"); n != 1 {
		t.Errorf("%d logins, want 1 for the whole run", n)
	}
	if n := f.srv.Count("/api/jwt/logout"); n != 1 {
		t.Errorf("%d logouts, want 1", n)
	}
	if st := cp.Stream(StreamIncidents); st.InProgress || !st.Watermark.Equal(pollNow) {
		t.Errorf("incident stream %+v", st)
	}
}

// TestSession checks the login form, the header of later requests and
// the logout against a server that enforces them.
func TestSession(t *testing.T) {
	var logins, logouts int
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/jwt/login", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Header.Get("Authorization") != "" || r.Form.Get("username") != "throughline" || r.Form.Get("password") != "s3cret" {
			w.WriteHeader(401)
			return
		}
		logins++
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("tok-1"))
	})
	mux.HandleFunc("POST /api/jwt/logout", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "AR-JWT tok-1" {
			logouts++
		}
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /api/arsys/v1/entry/{form}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "AR-JWT tok-1" {
			w.WriteHeader(401)
			return
		}
		w.Write([]byte(`{"entries":[],"_links":{"self":[{"href":"x"}]}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL, Auth: goodAuth})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(ImportOptions{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Import(context.Background(), poll.Request{Since: pollSince}, (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("s")); err != nil {
		t.Fatal(err)
	}
	if logins != 1 || logouts != 1 {
		t.Fatalf("%d logins, %d logouts; want 1 and 1", logins, logouts)
	}
}

func TestPollFailedLogin(t *testing.T) {
	f := newPollFixture(t)
	f.srv.Inject(polltest.Fault{Method: "POST", Path: "/api/jwt/login", Status: 401,
		Body: `[{"messageType":"ERROR","messageText":"Authentication failed","messageNumber":623,"messageAppendedText":"throughline"}]`})
	err := f.poller(t, poll.Auth{Username: "throughline", Password: "wrong-pw", Name: "HELIX_PASSWORD"}, nil).
		Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{`user "throughline"`, "HELIX_PASSWORD", "Authentication failed", "401", "/api/jwt/login"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
	if n := f.srv.Count(incidentPath); n != 0 {
		t.Errorf("%d entry requests after a refused login", n)
	}
}

func TestPollTokenExpiry(t *testing.T) {
	t.Run("one new login", func(t *testing.T) {
		f := newPollFixture(t)
		// The token expires before the second incident page.
		f.srv.Inject(polltest.Fault{Path: incidentPath, Query: map[string]string{"offset": "2"}, Status: 401,
			Body: `[{"messageType":"ERROR","messageText":"Token has expired","messageNumber":9093}]`})
		var got polltest.Collector
		if err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
			t.Fatal(err)
		}
		if n := f.srv.Count("/api/jwt/login"); n != 2 {
			t.Fatalf("%d logins, want 2 (one at the start, one after the expiry)", n)
		}
		if !slices.Equal(got.IDs(), wantPollIDs()) {
			t.Fatalf("ids %v", got.IDs())
		}
	})
	t.Run("refused again", func(t *testing.T) {
		f := newPollFixture(t)
		f.srv.Inject(polltest.Fault{Path: incidentPath, Query: map[string]string{"offset": "2"}, Status: 401, Times: 5})
		err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
		if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), "fresh login") || !strings.Contains(err.Error(), "HELIX_PASSWORD") {
			t.Fatalf("err %v", err)
		}
		if n := f.srv.Count("/api/jwt/login"); n != 2 {
			t.Fatalf("%d logins, want 2: one new login, not a loop", n)
		}
	})
}

func TestPollRateLimitAndResume(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newPollFixture(t)
	f.srv.Inject(polltest.Fault{Path: incidentPath, Query: map[string]string{"offset": "2"}, Status: 429,
		Headers: map[string]string{"Retry-After": "30"},
		Body:    `[{"messageType":"ERROR","messageText":"Too many requests"}]`})
	f.srv.Inject(polltest.Fault{Path: incidentPath, Query: map[string]string{"offset": "4"}, Status: 500, Times: 2,
		Body: `[{"messageType":"ERROR","messageText":"Internal error","messageNumber":8760}]`})
	p := f.poller(t, goodAuth, func(o *poll.ClientOptions) { o.MaxAttempts = 2 })
	var first polltest.Collector
	cp, _ := store.Open("helix")
	err = p.Import(context.Background(), f.request(), first.Sink, cp)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("first run: %v", err)
	}
	if got := f.clock.Sleeps(); len(got) != 2 || got[0] != 30*time.Second {
		t.Fatalf("waits %v: 30s for the rate limit, then a backoff", got)
	}
	if st := cp.Stream(StreamIncidents); !st.InProgress || st.Next != "offset=4" || st.Items != 4 {
		t.Fatalf("checkpoint %+v", st)
	}
	if n := f.srv.Count("/api/jwt/logout"); n != 1 {
		t.Errorf("a failed run logs out too: %d logouts", n)
	}
	before := len(f.srv.Requests())
	cp, _ = store.Open("helix")
	var second polltest.Collector
	if err := p.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, r := range f.srv.Requests()[before:] {
		if strings.HasPrefix(r, "GET ") {
			entries = append(entries, r)
		}
	}
	if len(entries) != 3 || !strings.Contains(entries[0], "offset=4") || !strings.Contains(entries[1], "CHG:Infrastructure") {
		t.Fatalf("resumed requests %v: the third incident page, then the changes", entries)
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
	// The interrupted incident pass began at pollNow: 18:00 less 10m (the
	// change pass began after the waits, in the second run).
	want := url.Values{"q": {"'Last Modified Date' >= 1770400200"}}.Encode()
	n := 0
	for _, r := range f.srv.Requests()[before:] {
		if strings.HasPrefix(r, "GET /api/arsys/v1/entry/HPD:") {
			n++
			if !strings.Contains(r, want) {
				t.Fatalf("incremental request %s, want %s", r, want)
			}
		}
	}
	if n != 3 {
		t.Fatalf("%d incident requests in the incremental run, want its 3 pages", n)
	}
}

func TestPollReimportAddsNothing(t *testing.T) {
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			f := newPollFixture(t)
			p := f.poller(t, goodAuth, nil)
			for _, job := range []string{"a", "b"} {
				if err := p.Import(context.Background(), f.request(), polltest.StoreSink(eng.Store), poll.NewMemoryCheckpoint(job)); err != nil {
					t.Fatal(err)
				}
				if n := polltest.CountEvents(t, eng.Store); n != len(wantPollIDs()) {
					t.Fatalf("import %s: %d events stored, want %d", job, n, len(wantPollIDs()))
				}
			}
		})
	}
}

func TestOptionsNameTheKey(t *testing.T) {
	c, err := NewAPIClient(poll.ClientOptions{BaseURL: "https://acme-restapi.onbmc.com", Auth: goodAuth})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o    ImportOptions
		want string
	}{
		{ImportOptions{Streams: []string{"problems"}}, "streams[0]"},
		{ImportOptions{Limit: 5000}, "limit"},
		{ImportOptions{Query: "('Status' < \"Resolved\""}, "query"},
		{ImportOptions{Options: Options{TimeZone: "Mars/Olympus"}}, "time_zone"},
		{ImportOptions{Options: Options{Fields: map[string]string{"owner": "Owner"}}}, "fields.owner"},
		{ImportOptions{Options: Options{Fields: map[string]string{"status": "x' OR 1=1"}}}, "fields.status"},
	} {
		tc.o.Client = c
		if _, err := NewPoller(tc.o); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.o, err, tc.want)
		}
	}
	if _, err := NewAPIClient(poll.ClientOptions{BaseURL: "https://h.example", Auth: poll.Auth{Username: "u", Name: "HELIX_PASSWORD"}}); err == nil ||
		!strings.Contains(err.Error(), "credentials.password") || !strings.Contains(err.Error(), "HELIX_PASSWORD") {
		t.Errorf("missing password: %v", err)
	}
}

func FuzzParsePage(f *testing.F) {
	for _, file := range []string{"incidents.1.json", "incidents.3.json", "changes.1.json"} {
		b, err := os.ReadFile(filepath.Join(pollDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"entries":[{"values":{"Incident Number":"INC1","Status":"Resolved","Submit Date":"2026-01-01T00:00:00.000+0000"}}]}`))
	f.Add([]byte(`{"entries":[{"values":{"Infrastructure Change ID":"CRQ1","Change Request Status":"Closed","Status Reason":"Successful","Submit Date":1}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := NewAPIClient(poll.ClientOptions{
			BaseURL:    "https://acme-restapi.onbmc.test",
			HTTPClient: &http.Client{Transport: loginFirst{&polltest.Transport{Body: body, N: 6}}},
			Auth:       goodAuth,
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

// loginFirst answers the login with a token and passes the rest on, so
// fuzzed bodies reach the page parser.
type loginFirst struct{ next http.RoundTripper }

func (l loginFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/api/jwt/login") {
		rec := httptest.NewRecorder()
		rec.WriteString("fuzz-token")
		res := rec.Result()
		res.Request = r
		return res, nil
	}
	return l.next.RoundTrip(r)
}

package cherwell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

const pollDir = "../../testdata/backfill/cherwell"

const (
	incBO = "6dd53665c0c24cab86870a21cf6434ae"
	chgBO = "934ec7f5f5b1d3c4a1e14e6b8c8b1d2a"
	// Field ids of the recorded Incident schema.
	incModified = "BO:6dd53665c0c24cab86870a21cf6434ae,FI:0ff0ad70b6be959117ba4e0d515394eb"
	incCreated  = "BO:6dd53665c0c24cab86870a21cf6434ae,FI:54ac311cb11e09cbe335c9f957285726"
	incRecID    = "BO:6dd53665c0c24cab86870a21cf6434ae,FI:165befd7feadc50650385c61343d3501"
)

var (
	pollNow   = time.Date(2026, 2, 6, 18, 0, 0, 0, time.UTC)
	pollSince = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

var pollOptions = Options{Services: map[string]string{"Payments API": "payments", "Checkout": "checkout"}}

func wantPollIDs() []string {
	ids := []string{
		"INC-10101:opened", "INC-10101:acknowledged", "INC-10101:resolved:2026-02-02T10:30:00Z",
		"INC-10102:opened", "INC-10102:acknowledged",
		"INC-10103:opened", "INC-10103:acknowledged", "INC-10103:resolved:2026-02-04T06:40:00Z",
		"INC-10104:opened", "INC-10105:opened",
		"CR-10201:created", "CR-10201:approved", "CR-10201:closed",
		"CR-10202:created", "CR-10202:approved",
		"CR-10203:created", "CR-10203:approved", "CR-10203:closed",
	}
	slices.Sort(ids)
	return ids
}

// sent is one request as the recording's transport saw it.
type sent struct {
	method, path string
	auth         string
	body         []byte
}

// bodyToQuery copies busObId and pageNumber of a search's JSON body into
// the query, so that polltest, which matches on the query, can tell the
// pages apart (see PROVENANCE.md), and keeps every request's body.
type bodyToQuery struct {
	mu   sync.Mutex
	sent []sent
}

func (b *bodyToQuery) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasSuffix(r.URL.Path, searchPath) {
		var sr SearchRequest
		if err := json.Unmarshal(body, &sr); err == nil {
			q := r.URL.Query()
			q.Set("busObId", sr.BusObID)
			q.Set("pageNumber", itoa(sr.PageNumber))
			r.URL.RawQuery = q.Encode()
		}
	}
	b.mu.Lock()
	b.sent = append(b.sent, sent{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), body: body})
	b.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// requests returns what was sent to path.
func (b *bodyToQuery) requests(path string) []sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []sent
	for _, s := range b.sent {
		if s.path == path {
			out = append(out, s)
		}
	}
	return out
}

type pollFixture struct {
	srv   *polltest.Server
	clock *polltest.Clock
	tr    *bodyToQuery
}

func newPollFixture(t *testing.T) *pollFixture {
	t.Helper()
	return &pollFixture{srv: polltest.New(t, pollDir), clock: polltest.NewClock(pollNow), tr: &bodyToQuery{}}
}

var goodAuth = poll.Auth{ClientID: "3a1b5c7d-9e2f-4a6b-8c0d-1e3f5a7b9c2d", Username: "throughline", Password: "s3cret", Name: "CHERWELL_PASSWORD"}

func (f *pollFixture) poller(t *testing.T, auth poll.Auth, mod func(*poll.ClientOptions)) *Poller {
	t.Helper()
	o := poll.ClientOptions{BaseURL: f.srv.URL, Auth: auth, Clock: f.clock, Jitter: func() float64 { return 0 },
		HTTPClient: &http.Client{Transport: f.tr}}
	if mod != nil {
		mod(&o)
	}
	c, err := NewAPIClient(o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(ImportOptions{Client: c, Options: pollOptions, PageSize: 2, IncidentBusObID: incBO, ChangeBusObID: chgBO})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *pollFixture) request() poll.Request {
	return poll.Request{Job: "cherwell", Since: pollSince, Overlap: 10 * time.Minute, Now: f.clock.Now}
}

// searches decodes the search requests sent for busObID.
func (f *pollFixture) searches(t *testing.T, busObID string) []SearchRequest {
	t.Helper()
	var out []SearchRequest
	for _, s := range f.tr.requests(searchPath) {
		var sr SearchRequest
		if err := json.Unmarshal(s.body, &sr); err != nil {
			t.Fatalf("search body %s: %v", s.body, err)
		}
		if sr.BusObID == busObID {
			out = append(out, sr)
		}
	}
	return out
}

func pages(srs []SearchRequest) []int {
	var out []int
	for _, sr := range srs {
		out = append(out, sr.PageNumber)
	}
	return out
}

func TestPoll(t *testing.T) {
	f := newPollFixture(t)
	var got polltest.Collector
	cp := poll.NewMemoryCheckpoint("cherwell")
	if err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, cp); err != nil {
		t.Fatal(err)
	}
	if ids := got.IDs(); !slices.Equal(ids, wantPollIDs()) {
		t.Fatalf("ids\n got %v\nwant %v", ids, wantPollIDs())
	}
	inc, _ := got.ByID("INC-10101:opened")
	if inc.Service != "payments" || inc.Priority != "P1" || inc.Attributes["assignment_group"] != "Service Desk" ||
		!inc.Time.Equal(time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)) || inc.Source != Source {
		t.Errorf("incident %+v", inc)
	}
	if e, _ := got.ByID("INC-10102:opened"); e.Service != "Network" || e.Priority != "P2" {
		t.Errorf("an unmapped service is used as it is: %+v", e)
	}
	if e, _ := got.ByID("INC-10104:opened"); e.Service != "unassigned" || e.Priority != "P4" {
		t.Errorf("no service: %+v", e)
	}
	if e, _ := got.ByID("INC-10105:opened"); e.Priority != "P5" {
		t.Errorf("priority 5: %+v", e)
	}
	if e, _ := got.ByID("INC-10101:acknowledged"); !e.Time.Equal(time.Date(2026, 2, 2, 8, 5, 0, 0, time.UTC)) {
		t.Errorf("acknowledged %+v", e)
	}
	for id, want := range map[string]struct {
		kind, outcome string
		automated     bool
	}{
		"CR-10201:created":  {kind: "normal"},
		"CR-10201:closed":   {outcome: "success"},
		"CR-10202:created":  {kind: "standard"},
		"CR-10202:approved": {automated: true},
		"CR-10203:created":  {kind: "emergency"},
		"CR-10203:approved": {},
		"CR-10203:closed":   {outcome: "failure"},
	} {
		e, _ := got.ByID(id)
		if e.Kind != want.kind || e.Outcome != want.outcome || e.Automated != want.automated {
			t.Errorf("%s: %+v, want %+v", id, e, want)
		}
	}
	if e, _ := got.ByID("CR-10201:closed"); !e.Time.Equal(time.Date(2026, 2, 3, 20, 0, 0, 0, time.UTC)) || e.Attributes["closure_code"] != "Successful" {
		t.Errorf("closed %+v", e)
	}
	if e, _ := got.ByID("CR-10201:created"); e.Service != "payments" || e.Attributes["assignment_group"] != "Change Management" {
		t.Errorf("created %+v", e)
	}
	incs := f.searches(t, incBO)
	if p := pages(incs); !slices.Equal(p, []int{1, 2, 3}) {
		t.Errorf("incident pages %v", p)
	}
	for _, sr := range incs {
		want := []Filter{{FieldID: incModified, Operator: "gt", Value: "2/1/2026 12:00 AM"}}
		if !slices.Equal(sr.Filters, want) || sr.PageSize != 2 || !sr.IncludeAllFields ||
			!slices.Equal(sr.Sorting, []SortBy{{incCreated, 1}, {incRecID, 1}}) {
			t.Errorf("search %+v", sr)
		}
	}
	if p := pages(f.searches(t, chgBO)); !slices.Equal(p, []int{1, 2}) {
		t.Errorf("change pages %v", p)
	}
	if n := f.srv.Count(tokenPath); n != 1 {
		t.Errorf("%d token requests, want 1 for the whole run", n)
	}
	if n := f.srv.Count(logoutPath); n != 1 {
		t.Errorf("%d logouts, want 1", n)
	}
	for _, s := range f.tr.requests(searchPath) {
		if !strings.HasPrefix(s.auth, "Bearer AAEAAG") {
			t.Errorf("search sent with Authorization %q", s.auth)
		}
	}
	st := cp.Stream(StreamIncidents)
	if st.InProgress || !st.Watermark.Equal(pollNow) {
		t.Errorf("incident stream %+v", st)
	}
}

// TestSession checks the token form, the header of later requests, the
// refresh and the logout against a server that enforces them.
func TestSession(t *testing.T) {
	var mu sync.Mutex
	var grants []string
	logouts, refusals := 0, 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /CherwellAPI/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		grants = append(grants, r.Form.Get("grant_type"))
		ok := r.Header.Get("Authorization") == "" && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" &&
			r.Form.Get("client_id") == goodAuth.ClientID
		switch r.Form.Get("grant_type") {
		case "password":
			ok = ok && r.Form.Get("username") == "throughline" && r.Form.Get("password") == "s3cret"
		case "refresh_token":
			ok = ok && r.Form.Get("refresh_token") == "rt-1"
		default:
			ok = false
		}
		if !ok {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"BADREQUEST"}`))
			return
		}
		tok := "tok-1"
		if len(grants) > 1 {
			tok = "tok-2"
		}
		// tok-1 lives one hour: the test's clock passes it.
		w.Write([]byte(`{"access_token":"` + tok + `","token_type":"bearer","expires_in":3600,"refresh_token":"rt-1"}`))
	})
	mux.HandleFunc("DELETE /CherwellAPI/api/V1/logout", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") == "Bearer tok-2" {
			logouts++
		}
	})
	mux.HandleFunc("GET /CherwellAPI/api/V1/getbusinessobjectschema/busobid/{id}", func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "Bearer tok-1" && a != "Bearer tok-2" {
			w.WriteHeader(401)
			return
		}
		w.Write([]byte(`{"fieldDefinitions":[{"fieldId":"BO:a,FI:m","name":"LastModifiedDateTime"}]}`))
	})
	mux.HandleFunc("POST /CherwellAPI/api/V1/getsearchresults", func(w http.ResponseWriter, r *http.Request) {
		var sr SearchRequest
		if r.Header.Get("Authorization") != "Bearer tok-2" || r.Header.Get("Content-Type") != "application/json" ||
			json.NewDecoder(r.Body).Decode(&sr) != nil || sr.BusObID != incBO || sr.PageNumber != 1 || len(sr.Filters) != 1 || sr.Filters[0].FieldID != "BO:a,FI:m" {
			mu.Lock()
			refusals++
			mu.Unlock()
			w.WriteHeader(401)
			return
		}
		w.Write([]byte(`{"businessObjects":[],"totalRows":0,"hasError":false}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	clock := polltest.NewClock(pollNow)
	c, err := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL + "/CherwellAPI", Auth: goodAuth, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(ImportOptions{Client: c, IncidentBusObID: incBO, Streams: []string{StreamIncidents}})
	if err != nil {
		t.Fatal(err)
	}
	// The schema is read with tok-1; then the token expires by the clock,
	// and the stream's schema and search are sent with the refreshed tok-2.
	fetch := p.stream(StreamIncidents, poll.Request{})
	sf, err := p.schema(context.Background(), incBO, "LastModifiedDateTime", "CreatedDateTime")
	if err != nil || sf.modified != "BO:a,FI:m" || sf.created != "" {
		t.Fatalf("schema %+v, %v", sf, err)
	}
	clock.Advance(time.Hour)
	if _, err := fetch(context.Background(), "", pollSince); err != nil {
		t.Fatal(err)
	}
	p.o.Client.Logout(context.Background())
	if !slices.Equal(grants, []string{"password", "refresh_token"}) || logouts != 1 || refusals != 0 {
		t.Fatalf("grants %v, %d logouts, %d refused searches; want a login, a refresh before the search and a logout", grants, logouts, refusals)
	}
}

func TestPollFailedLogin(t *testing.T) {
	f := newPollFixture(t)
	f.srv.Inject(polltest.Fault{Method: "POST", Path: tokenPath, Status: 400,
		Body: `{"error":"invalid_grant","error_description":"BADREQUEST"}`})
	err := f.poller(t, poll.Auth{ClientID: goodAuth.ClientID, Username: "throughline", Password: "wrong-pw", Name: "CHERWELL_PASSWORD"}, nil).
		Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{`user "throughline"`, "CHERWELL_PASSWORD", "invalid_grant", "400", tokenPath} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
	if n := f.srv.Count(searchPath) + f.srv.Count(logoutPath); n != 0 {
		t.Errorf("%d requests after a refused login", n)
	}
	if grants := f.tr.requests(tokenPath); len(grants) != 1 || !strings.Contains(string(grants[0].body), "grant_type=password") {
		t.Errorf("token requests %d", len(grants))
	}
}

func TestPollTokenExpiry(t *testing.T) {
	expired := polltest.Fault{Method: "POST", Path: searchPath, Query: map[string]string{"busObId": incBO, "pageNumber": "2"}, Status: 401,
		Body: `{"Message":"Authorization has been denied for this request."}`}
	grantTypes := func(f *pollFixture) []string {
		var out []string
		for _, s := range f.tr.requests(tokenPath) {
			q, _ := url.ParseQuery(string(s.body))
			out = append(out, q.Get("grant_type"))
		}
		return out
	}
	t.Run("one refresh", func(t *testing.T) {
		f := newPollFixture(t)
		f.srv.Inject(expired)
		var got polltest.Collector
		if err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
			t.Fatal(err)
		}
		if g := grantTypes(f); !slices.Equal(g, []string{"password", "refresh_token"}) {
			t.Fatalf("token requests %v, want a login and one refresh", g)
		}
		if !slices.Equal(got.IDs(), wantPollIDs()) {
			t.Fatalf("ids %v", got.IDs())
		}
	})
	t.Run("refresh refused, one new login", func(t *testing.T) {
		f := newPollFixture(t)
		f.srv.Inject(expired)
		// The token route answers the first login; then the refresh is refused.
		f.srv.Inject(polltest.Fault{Method: "POST", Path: tokenPath, Status: 200, Body: `{"access_token":"a1","expires_in":14399,"refresh_token":"r1"}`})
		f.srv.Inject(polltest.Fault{Method: "POST", Path: tokenPath, Status: 400, Body: `{"error":"invalid_grant"}`})
		var got polltest.Collector
		if err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
			t.Fatal(err)
		}
		if g := grantTypes(f); !slices.Equal(g, []string{"password", "refresh_token", "password"}) {
			t.Fatalf("token requests %v", g)
		}
		if !slices.Equal(got.IDs(), wantPollIDs()) {
			t.Fatalf("ids %v", got.IDs())
		}
	})
	t.Run("refused again", func(t *testing.T) {
		f := newPollFixture(t)
		e := expired
		e.Times = 10
		f.srv.Inject(e)
		err := f.poller(t, goodAuth, nil).Import(context.Background(), f.request(), (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
		if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), "fresh login") || !strings.Contains(err.Error(), "CHERWELL_PASSWORD") {
			t.Fatalf("err %v", err)
		}
		if g := grantTypes(f); !slices.Equal(g, []string{"password", "refresh_token", "password"}) {
			t.Fatalf("token requests %v: one refresh, one new login, not a loop", g)
		}
		if n := len(f.searches(t, incBO)); n != 4 {
			t.Fatalf("%d incident searches, want 4 (page 1, then page 2 three times)", n)
		}
	})
}

func TestPollRateLimitAndResume(t *testing.T) {
	store, err := poll.OpenCheckpoints(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newPollFixture(t)
	page := func(n string) map[string]string { return map[string]string{"busObId": incBO, "pageNumber": n} }
	f.srv.Inject(polltest.Fault{Method: "POST", Path: searchPath, Query: page("2"), Status: 429,
		Headers: map[string]string{"Retry-After": "30"}, Body: `{"Message":"Too many requests"}`})
	f.srv.Inject(polltest.Fault{Method: "POST", Path: searchPath, Query: page("3"), Status: 500, Times: 2,
		Body: `{"errorCode":"GeneralFailure","errorMessage":"Internal error","hasError":true}`})
	p := f.poller(t, goodAuth, func(o *poll.ClientOptions) { o.MaxAttempts = 2 })
	var first polltest.Collector
	cp, _ := store.Open("cherwell")
	err = p.Import(context.Background(), f.request(), first.Sink, cp)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("first run: %v", err)
	}
	if got := f.clock.Sleeps(); len(got) != 2 || got[0] != 30*time.Second {
		t.Fatalf("waits %v: 30s for the rate limit, then a backoff", got)
	}
	if st := cp.Stream(StreamIncidents); !st.InProgress || st.Next != "page=3" || st.Items != 4 {
		t.Fatalf("checkpoint %+v", st)
	}
	if n := f.srv.Count(logoutPath); n != 1 {
		t.Errorf("a failed run logs out too: %d logouts", n)
	}
	before := len(f.tr.requests(searchPath))
	cp, _ = store.Open("cherwell")
	var second polltest.Collector
	if err := p.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	var resumed []string
	for _, s := range f.tr.requests(searchPath)[before:] {
		var sr SearchRequest
		json.Unmarshal(s.body, &sr)
		resumed = append(resumed, sr.BusObID[:4]+":"+itoa(sr.PageNumber))
	}
	if !slices.Equal(resumed, []string{"6dd5:3", "934e:1", "934e:2"}) {
		t.Fatalf("resumed searches %v: the third incident page, then the changes", resumed)
	}
	all := append(first.IDs(), second.IDs()...)
	slices.Sort(all)
	if all = slices.Compact(all); !slices.Equal(all, wantPollIDs()) {
		t.Fatalf("ids over both runs %v", all)
	}
	// The next poll starts at the finished pass's start less the overlap.
	f.clock.Advance(time.Hour)
	before = len(f.tr.requests(searchPath))
	if err := p.Import(context.Background(), f.request(), second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	// The interrupted incident pass began at pollNow: 18:00 less 10m.
	n := 0
	for _, s := range f.tr.requests(searchPath)[before:] {
		var sr SearchRequest
		json.Unmarshal(s.body, &sr)
		if sr.BusObID == incBO {
			n++
			if sr.Filters[0].Value != "2/6/2026 5:50 PM" {
				t.Fatalf("incremental filter %+v, want after 2/6/2026 5:50 PM", sr.Filters)
			}
		}
	}
	if n != 3 {
		t.Fatalf("%d incident searches in the incremental run, want its 3 pages", n)
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
	c, err := NewAPIClient(poll.ClientOptions{BaseURL: "https://acme.cherwellondemand.com", Auth: goodAuth})
	if err != nil {
		t.Fatal(err)
	}
	both := func(o ImportOptions) ImportOptions {
		o.IncidentBusObID, o.ChangeBusObID = incBO, chgBO
		return o
	}
	for _, tc := range []struct {
		o    ImportOptions
		want string
	}{
		{ImportOptions{ChangeBusObID: chgBO}, "incident_busobid"},
		{ImportOptions{IncidentBusObID: incBO}, "change_busobid"},
		{ImportOptions{IncidentBusObID: "Incident", Streams: []string{StreamIncidents}}, "incident_busobid"},
		{both(ImportOptions{Streams: []string{"problems"}}), "streams[0]"},
		{both(ImportOptions{PageSize: 5000}), "page_size"},
		{both(ImportOptions{AuthMode: "Kerberos"}), "auth_mode"},
		{both(ImportOptions{Options: Options{TimeZone: "Mars/Olympus"}}), "time_zone"},
		{both(ImportOptions{Options: Options{DateLayout: "d/m/y"}}), "date_layout"},
		{both(ImportOptions{Options: Options{Fields: map[string]string{"owner": "Owner"}}}), "fields.owner"},
		{both(ImportOptions{Options: Options{Fields: map[string]string{"status": " "}}}), "fields.status"},
		{both(ImportOptions{Options: Options{Services: map[string]string{"x": ""}}}), "services"},
		{both(ImportOptions{Options: Options{SuccessfulClosureCodes: []string{"Failed"}, FailedClosureCodes: []string{"failed"}}}), "successful_closure_codes"},
	} {
		tc.o.Client = c
		if _, err := NewPoller(tc.o); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.o, err, tc.want)
		}
	}
	if _, err := NewPoller(ImportOptions{Client: c, ChangeBusObID: chgBO, Streams: []string{StreamChanges}}); err != nil {
		t.Errorf("changes only need change_busobid: %v", err)
	}
	if _, err := NewAPIClient(poll.ClientOptions{BaseURL: "https://h.example", Auth: poll.Auth{ClientID: "k", Username: "u", Name: "CHERWELL_PASSWORD"}}); err == nil ||
		!strings.Contains(err.Error(), "credentials.password") || !strings.Contains(err.Error(), "CHERWELL_PASSWORD") {
		t.Errorf("missing password: %v", err)
	}
	if _, err := NewAPIClient(poll.ClientOptions{BaseURL: "https://h.example", Auth: poll.Auth{Username: "u", Password: "p"}}); err == nil ||
		!strings.Contains(err.Error(), "credentials.client_id") {
		t.Errorf("missing client id: %v", err)
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
	f.Add([]byte(`{"businessObjects":[{"fields":[{"name":"IncidentID","value":"1"},{"name":"Status","value":"Resolved"},{"name":"CreatedDateTime","value":"1/1/2026 0:00 AM"}]}],"totalRows":1}`))
	f.Add([]byte(`{"businessObjects":[{"fields":[{"name":"ChangeID","value":7},{"name":"Status","value":"Closed"},{"name":"ClosureCode","value":"Successful"},{"name":"CreatedDateTime","value":"2026-01-01T00:00:00Z"}]}],"totalRows":"9"}`))
	f.Add([]byte(`{"hasError":true,"errorCode":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := NewAPIClient(poll.ClientOptions{
			BaseURL:    "https://acme.cherwell.test",
			HTTPClient: &http.Client{Transport: fuzzServer{body: body, next: &polltest.Transport{Body: body, N: 6}}},
			Auth:       goodAuth,
			Clock:      polltest.NewClock(pollNow), MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPoller(ImportOptions{Client: c, Options: pollOptions, PageSize: 1, IncidentBusObID: incBO, ChangeBusObID: chgBO})
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
		// The parser alone must not panic on any body either.
		_, _ = ParsePage(body)
		_, _ = ParseSchema(body)
	})
}

// fuzzServer answers the token request and the schemas, and passes the
// searches on, so fuzzed bodies reach the page parser.
type fuzzServer struct {
	body []byte
	next http.RoundTripper
}

func (s fuzzServer) RoundTrip(r *http.Request) (*http.Response, error) {
	answer := ""
	switch {
	case strings.HasSuffix(r.URL.Path, tokenPath):
		answer = `{"access_token":"fuzz-token","expires_in":3600}`
	case strings.Contains(r.URL.Path, schemaPath):
		answer = `{"fieldDefinitions":[{"fieldId":"BO:a,FI:m","name":"LastModifiedDateTime"}]}`
	default:
		return s.next.RoundTrip(r)
	}
	rec := httptest.NewRecorder()
	rec.WriteString(answer)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// TestAuthMode: the token request carries auth_mode when one is set.
func TestAuthMode(t *testing.T) {
	var got []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /CherwellAPI/token", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Query().Get("auth_mode"))
		w.Write([]byte(`{"access_token":"tok","token_type":"bearer","expires_in":3600,"refresh_token":"rt"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, mode := range []string{"", "LDAP"} {
		c, err := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL, Auth: goodAuth})
		if err != nil {
			t.Fatal(err)
		}
		c.SetAuthMode(mode)
		if err := c.login(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[0] != "" || got[1] != "LDAP" {
		t.Errorf("auth_mode sent %q, want none then LDAP", got)
	}
}

// TestParsePageObjectErrors: an object Cherwell could not read (its own
// hasError) is set aside and named; the others are read.
func TestParsePageObjectErrors(t *testing.T) {
	pg, err := ParsePage([]byte(`{"businessObjects":[
	 {"busObRecId":"r1","busObPublicId":"101","fields":[{"name":"Status","value":"New"}]},
	 {"busObRecId":"r2","busObPublicId":"102","hasError":true,"errorMessage":"Field not found","fields":[]}],
	 "totalRows":2,"hasError":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Objects) != 1 || pg.Objects[0].publicID != "101" || len(pg.Failed) != 1 || !strings.Contains(pg.Failed[0], "102: Field not found") {
		t.Errorf("objects %+v, failed %v", pg.Objects, pg.Failed)
	}
}

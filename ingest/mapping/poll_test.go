package mapping

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
)

const pollDir = "../../testdata/backfill/generic"

var (
	pollNow   = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	pollSince = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
)

func pollOptions(tb testing.TB, c *poll.Client) PollOptions {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(pollDir, "ivanti.poll.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var o PollOptions
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&o); err != nil {
		tb.Fatal(err)
	}
	o.Client = c
	return o
}

func newPollClient(tb testing.TB, base string, clock poll.Clock, key string) *poll.Client {
	tb.Helper()
	c, err := poll.NewClient(poll.ClientOptions{Source: "ivanti", BaseURL: base, Clock: clock, Jitter: func() float64 { return 0 },
		Auth: poll.Auth{Kind: poll.AuthHeader, Header: "Authorization", Token: "rest_api_key=" + key, Name: "IVANTI_API_KEY"}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestPollGeneric(t *testing.T) {
	srv := polltest.New(t, pollDir)
	srv.RequireHeader("Authorization", "rest_api_key=k-123")
	clock := polltest.NewClock(pollNow)
	// A rate limit on the second page.
	srv.Inject(polltest.Fault{Path: "/api/odata/businessobject/incidents", Query: map[string]string{"$skip": "2"}, Status: 429, Headers: map[string]string{"Retry-After": "3"}})
	p, err := NewPoller(pollOptions(t, newPollClient(t, srv.URL, clock, "k-123")))
	if err != nil {
		t.Fatal(err)
	}
	var got polltest.Collector
	cp := poll.NewMemoryCheckpoint("ivanti")
	if err := p.Import(context.Background(), poll.Request{Since: pollSince, Now: clock.Now}, got.Sink, cp); err != nil {
		t.Fatal(err)
	}
	want := []string{"10234:incident.opened:2026-11-20T10:04:00Z", "10235:incident.acknowledged:2026-11-20T10:45:00Z", "10236:incident.resolved:2026-11-20T11:48:00Z"}
	if ids := got.IDs(); !slices.Equal(ids, want) {
		t.Fatalf("ids %v", ids)
	}
	res, _ := got.ByID(want[2])
	if !res.Automated || res.Source != "ivanti" || res.Service != "storefront" || res.Priority != "P1" {
		t.Errorf("resolved %+v", res)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || !strings.Contains(reqs[0], "%24filter=LastModDateTime+ge+2026-11-20T00%3A00%3A00Z") || !strings.Contains(reqs[0], "%24top=2") {
		t.Errorf("requests %v", reqs)
	}
	if !slices.Equal(clock.Sleeps(), []time.Duration{3 * time.Second}) {
		t.Errorf("waits %v", clock.Sleeps())
	}

	// The same incident pushed through the ivanti mapping is the same event.
	ms := loadMappings(t, filepath.Join(dir, "ivanti.yaml"))
	w, err := New(Options{Name: "ivanti", Mapping: ms["ivanti"]})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(filepath.Join(dir, "ivanti.incident_logged.json"))
	pushed, err := w.Parse(http.Header{}, body)
	if err != nil {
		t.Fatal(err)
	}
	polled, _ := got.ByID(pushed[0].ID)
	if polled.ID == "" || polled.Service != pushed[0].Service || polled.Priority != pushed[0].Priority || polled.Links["change_request"] != pushed[0].Links["change_request"] {
		t.Fatalf("polled %+v\npushed %+v", polled, pushed[0])
	}
}

func TestPollGenericResumeAndLogin(t *testing.T) {
	srv := polltest.New(t, pollDir)
	srv.RequireHeader("Authorization", "rest_api_key=k-123")
	clock := polltest.NewClock(pollNow)
	store, _ := poll.OpenCheckpoints(t.TempDir())
	p, err := NewPoller(pollOptions(t, newPollClient(t, srv.URL, clock, "k-123")))
	if err != nil {
		t.Fatal(err)
	}
	first := polltest.Collector{FailAfter: 1}
	cp, _ := store.Open("ivanti")
	if err := p.Import(context.Background(), poll.Request{Since: pollSince, Now: clock.Now}, first.Sink, cp); !errors.Is(err, polltest.ErrSinkStopped) {
		t.Fatalf("first run %v", err)
	}
	cp, _ = store.Open("ivanti")
	before := len(srv.Requests())
	var second polltest.Collector
	if err := p.Import(context.Background(), poll.Request{Since: pollSince, Now: clock.Now}, second.Sink, cp); err != nil {
		t.Fatal(err)
	}
	if after := srv.Requests()[before:]; len(after) != 1 || !strings.Contains(after[0], "%24skip=2") {
		t.Fatalf("resumed with %v, want the second page only", after)
	}
	if len(first.IDs())+len(second.IDs()) != 3 {
		t.Fatalf("ids %v + %v", first.IDs(), second.IDs())
	}

	bad, err := NewPoller(pollOptions(t, newPollClient(t, srv.URL, clock, "wrong")))
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Import(context.Background(), poll.Request{Since: pollSince}, (&polltest.Collector{}).Sink, poll.NewMemoryCheckpoint("x"))
	if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), "IVANTI_API_KEY") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("err %v", err)
	}
}

func TestPollOptionsValidate(t *testing.T) {
	c, _ := poll.NewClient(poll.ClientOptions{BaseURL: "https://x"})
	base := pollOptions(t, c)
	for _, tc := range []struct {
		name string
		mod  func(*PollOptions)
		want string
	}{
		{"no since", func(o *PollOptions) { o.Query = map[string]string{"$top": "2"} }, `query: no parameter has "{since}"`},
		{"path", func(o *PollOptions) { o.Path = "incidents" }, "path:"},
		{"paging kind", func(o *PollOptions) { o.Paging.Kind = "scroll" }, "paging.kind:"},
		{"cursor", func(o *PollOptions) { o.Paging = Paging{Kind: "cursor", Param: "token"} }, "paging.param and paging.next_path"},
		{"mapping", func(o *PollOptions) { delete(o.Mapping.Fields, "time") }, "mapping.fields.time: required"},
		{"since format", func(o *PollOptions) { o.SinceFormat = "iso" }, "since_format:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			o.Query = map[string]string{}
			for k, v := range base.Query {
				o.Query[k] = v
			}
			o.Mapping.Fields = map[string]Field{}
			for k, v := range base.Mapping.Fields {
				o.Mapping.Fields[k] = v
			}
			tc.mod(&o)
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzPollGenericPage(f *testing.F) {
	for _, file := range []string{"incidents.1.json", "incidents.2.json"} {
		b, err := os.ReadFile(filepath.Join(pollDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"value":[{"Status":"Logged","IncidentNumber":1,"LastModDateTime":1}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := poll.NewClient(poll.ClientOptions{BaseURL: "https://ivanti.test", MaxAttempts: 1, Clock: polltest.NewClock(pollNow),
			HTTPClient: &http.Client{Transport: &polltest.Transport{Body: body, N: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPoller(pollOptions(t, c))
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

// TestPollPagesWithoutSizeParam: with offset paging and no size_param, the
// API's own page size is unknown (here 2, below paging.size): paging goes
// on until a page comes back empty, so no record is left unread.
func TestPollPagesWithoutSizeParam(t *testing.T) {
	var recs []map[string]any
	for _, f := range []string{"incidents.1.json", "incidents.2.json"} {
		b, err := os.ReadFile(filepath.Join(pollDir, f))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Value []map[string]any }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, doc.Value...)
	}
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		skip, _ := strconv.Atoi(r.URL.Query().Get("$skip"))
		page := recs[min(skip, len(recs)):min(skip+2, len(recs))]
		json.NewEncoder(w).Encode(map[string]any{"value": page})
	}))
	defer srv.Close()
	clock := polltest.NewClock(pollNow)
	o := pollOptions(t, newPollClient(t, srv.URL, clock, "k-123"))
	o.Paging.SizeParam = ""
	o.Paging.Size = 100
	p, err := NewPoller(o)
	if err != nil {
		t.Fatal(err)
	}
	var got polltest.Collector
	if err := p.Import(context.Background(), poll.Request{Since: pollSince, Now: clock.Now}, got.Sink, poll.NewMemoryCheckpoint("ivanti")); err != nil {
		t.Fatal(err)
	}
	if n := len(got.IDs()); n != len(recs) || requests != (len(recs)+1)/2+1 {
		t.Errorf("%d events from %d records in %d requests", n, len(recs), requests)
	}
}

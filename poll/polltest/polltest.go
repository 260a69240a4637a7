// Package polltest replays recorded API pages over real HTTP for importer
// tests, injects faults (server errors, rate limits, failed logins), and
// provides a clock that records waits instead of sleeping.
//
// A recording is a directory with routes.json:
//
//	{"routes": [
//	  {"path": "/repos/acme/shop/commits", "query": {"page": "2"},
//	   "headers": {"Link": "<{{base}}/repos/acme/shop/commits?page=3>; rel=\"next\""},
//	   "file": "commits.2.json"}
//	]}
//
// A request matches a route when the method (default GET) and path are
// equal and every query parameter the route names has that value ("" for
// absent); the route naming the most parameters wins. "{{base}}" in
// headers and bodies becomes the server's URL. It is imported by tests
// only.
package polltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
)

// Route is one recorded answer.
type Route struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   map[string]string `json:"query"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	File    string            `json:"file"`
	Body    string            `json:"body"`
	body    []byte
}

// Fault answers matching requests instead of the recording, Times times.
type Fault struct {
	Method  string
	Path    string
	Query   map[string]string
	Times   int
	Status  int
	Headers map[string]string
	Body    string
}

// Server replays a recording.
type Server struct {
	URL string

	tb        testing.TB
	srv       *httptest.Server
	mu        sync.Mutex
	routes    []Route
	faults    []*Fault
	requests  []string
	unmatched []string
	auth      map[string]string
	// AllowUnmatched stops the end-of-test check that every request
	// matched a route.
	AllowUnmatched bool
}

// New starts a server replaying dir/routes.json (dir may be "" for a
// server with routes added by Add). It stops when the test ends, then
// fails the test if a request matched no route.
func New(tb testing.TB, dir string) *Server {
	tb.Helper()
	s := &Server{tb: tb, auth: map[string]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, "routes.json"))
		if err != nil {
			tb.Fatal(err)
		}
		var rec struct {
			Routes []Route `json:"routes"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			tb.Fatalf("%s/routes.json: %v", dir, err)
		}
		for _, r := range rec.Routes {
			if r.File != "" {
				body, err := os.ReadFile(filepath.Join(dir, r.File))
				if err != nil {
					tb.Fatalf("%s/routes.json: %v", dir, err)
				}
				r.Body = string(body)
			}
			s.Add(r)
		}
	}
	tb.Cleanup(func() {
		s.srv.Close()
		if !s.AllowUnmatched {
			for _, u := range s.Unmatched() {
				tb.Errorf("polltest: no recorded route for %s", u)
			}
		}
	})
	return s
}

// Add adds a route.
func (s *Server) Add(r Route) {
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	r.body = []byte(strings.ReplaceAll(r.Body, "{{base}}", s.URL))
	s.mu.Lock()
	s.routes = append(s.routes, r)
	s.mu.Unlock()
}

// Inject adds a fault; faults are tried before the credential check and
// the routes, in order.
func (s *Server) Inject(f Fault) {
	if f.Method == "" {
		f.Method = http.MethodGet
	}
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// RequireHeader makes every request without header name = value get 401
// with a JSON message.
func (s *Server) RequireHeader(name, value string) {
	s.mu.Lock()
	s.auth[http.CanonicalHeaderKey(name)] = value
	s.mu.Unlock()
}

// Requests returns every request received, as "METHOD /path?query" with
// the query sorted.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Count returns how many requests were made to path (any query).
func (s *Server) Count(path string) int {
	n := 0
	for _, r := range s.Requests() {
		_, rest, _ := strings.Cut(r, " ")
		p, _, _ := strings.Cut(rest, "?")
		if p == path {
			n++
		}
	}
	return n
}

// Unmatched returns the requests no route or fault answered.
func (s *Server) Unmatched() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unmatched...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	line := r.Method + " " + r.URL.Path
	if enc := q.Encode(); enc != "" {
		line += "?" + enc
	}
	s.mu.Lock()
	s.requests = append(s.requests, line)
	for _, f := range s.faults {
		if f.Times > 0 && f.Method == r.Method && f.Path == r.URL.Path && queryMatches(f.Query, q) >= 0 {
			f.Times--
			s.mu.Unlock()
			for k, v := range f.Headers {
				w.Header().Set(k, strings.ReplaceAll(v, "{{base}}", s.URL))
			}
			w.WriteHeader(f.Status)
			fmt.Fprint(w, f.Body)
			return
		}
	}
	for name, want := range s.auth {
		if r.Header.Get(name) != want {
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials"}`)
			return
		}
	}
	best, bestScore := -1, -1
	for i, rt := range s.routes {
		if rt.Method != r.Method || rt.Path != r.URL.Path {
			continue
		}
		if sc := queryMatches(rt.Query, q); sc > bestScore {
			best, bestScore = i, sc
		}
	}
	if best < 0 {
		s.unmatched = append(s.unmatched, line)
		s.mu.Unlock()
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	rt := s.routes[best]
	s.mu.Unlock()
	for k, v := range rt.Headers {
		w.Header().Set(k, strings.ReplaceAll(v, "{{base}}", s.URL))
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rt.Status)
	w.Write(rt.body)
}

// queryMatches returns how many of want's parameters q matches, or -1
// when one differs.
func queryMatches(want map[string]string, q map[string][]string) int {
	n := 0
	for k, v := range want {
		got := ""
		if vs := q[k]; len(vs) > 0 {
			got = vs[0]
		}
		if got != v {
			return -1
		}
		n++
	}
	return n
}

// Clock is a poll.Clock that does not sleep: Sleep advances Now and
// records the wait.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewClock starts at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and advances the clock by it.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sleeps returns the waits so far.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// Collector is a Sink that keeps what it is given. With FailAfter > 0,
// call number FailAfter+1 fails with ErrSinkStopped (an interrupted run).
type Collector struct {
	mu        sync.Mutex
	events    []ingest.Event
	calls     int
	FailAfter int
}

// ErrSinkStopped is the error of a Collector past FailAfter.
var ErrSinkStopped = errors.New("polltest: sink stopped")

// Sink implements poll.Sink.
func (c *Collector) Sink(ctx context.Context, evs []ingest.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.FailAfter > 0 && c.calls > c.FailAfter {
		return ErrSinkStopped
	}
	c.events = append(c.events, evs...)
	return nil
}

// Events returns every event received, in order.
func (c *Collector) Events() []ingest.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ingest.Event(nil), c.events...)
}

// IDs returns the distinct event ids received, sorted.
func (c *Collector) IDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range c.Events() {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e.ID)
		}
	}
	sort.Strings(out)
	return out
}

// ByID returns the last event received with id, and whether there was one.
func (c *Collector) ByID(id string) (ingest.Event, bool) {
	evs := c.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].ID == id {
			return evs[i], true
		}
	}
	return ingest.Event{}, false
}

// Transport answers the first N requests with Body (status 200, JSON,
// Header) and every later one with 404, without a network: for fuzzing
// importers on arbitrary pages without looping forever.
type Transport struct {
	Body   []byte
	Header http.Header
	N      int
	mu     sync.Mutex
	calls  int
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	t.mu.Lock()
	t.calls++
	n := t.calls
	t.mu.Unlock()
	h := t.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json")
	status, body := http.StatusOK, t.Body
	if n > t.N {
		status, body = http.StatusNotFound, []byte(`{"message":"Not Found"}`)
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Header: h, Request: r,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

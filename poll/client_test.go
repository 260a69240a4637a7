package poll_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newClient(tb testing.TB, base string, clock poll.Clock, mod func(*poll.ClientOptions)) *poll.Client {
	tb.Helper()
	o := poll.ClientOptions{
		Source:  "test",
		BaseURL: base,
		Auth:    poll.Auth{Kind: poll.AuthBearer, Token: "tok-SECRET-123", Name: "TEST_TOKEN"},
		Clock:   clock,
		Jitter:  func() float64 { return 0 },
	}
	if mod != nil {
		mod(&o)
	}
	c, err := poll.NewClient(o)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestClientFollowsLinkPages(t *testing.T) {
	var seenAuth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenAuth.Store(r.Header.Get("Authorization"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			page = 1
		}
		if page < 3 {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/items?per_page=2&page=%d>; rel="next", <http://%s/api/items?per_page=2&page=3>; rel="last"`, r.Host, page+1, r.Host))
		}
		fmt.Fprintf(w, `[{"page":%d}]`, page)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/api", polltest.NewClock(t0), nil)
	var pages []string
	next := "/items"
	q := map[string][]string{"per_page": {"2"}}
	for next != "" {
		r, err := c.Get(context.Background(), next, q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, string(r.Body))
		next, q = r.Next(), nil
	}
	if got := strings.Join(pages, ""); got != `[{"page":1}][{"page":2}][{"page":3}]` {
		t.Fatalf("pages %s", got)
	}
	if seenAuth.Load() != "Bearer tok-SECRET-123" {
		t.Fatalf("authorization %v", seenAuth.Load())
	}
	// A next link to another host is refused: the token stays home.
	_, err := c.Get(context.Background(), "https://evil.example.com/api/items?page=2", nil)
	if err == nil || !strings.Contains(err.Error(), "refusing to follow") {
		t.Fatalf("other host: %v", err)
	}
}

func TestClientRateLimits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		headers   func(now time.Time) map[string]string
		body      string
		wantSleep time.Duration
		wantErr   error
	}{
		{
			name: "github primary limit 403 with reset", status: 403,
			headers: func(now time.Time) map[string]string {
				return map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(120*time.Second).Unix(), 10)}
			},
			body:      `{"message":"API rate limit exceeded for user ID 1."}`,
			wantSleep: 121 * time.Second,
		},
		{
			name: "github 429 with reset", status: 429,
			headers: func(now time.Time) map[string]string {
				return map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(30*time.Second).Unix(), 10)}
			},
			wantSleep: 31 * time.Second,
		},
		{
			name: "retry-after seconds", status: 429,
			headers:   func(time.Time) map[string]string { return map[string]string{"Retry-After": "7"} },
			wantSleep: 7 * time.Second,
		},
		{
			name: "retry-after http date", status: 429,
			headers: func(now time.Time) map[string]string {
				return map[string]string{"Retry-After": now.Add(45 * time.Second).Format(http.TimeFormat)}
			},
			wantSleep: 45 * time.Second,
		},
		{
			name: "gitlab ratelimit headers", status: 429,
			headers: func(now time.Time) map[string]string {
				return map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": strconv.FormatInt(now.Add(10*time.Second).Unix(), 10)}
			},
			wantSleep: 11 * time.Second,
		},
		{
			name: "github secondary limit without headers", status: 403,
			headers:   func(time.Time) map[string]string { return nil },
			body:      `{"message":"You have exceeded a secondary rate limit."}`,
			wantSleep: time.Minute,
		},
		{
			name: "reset beyond the longest wait", status: 403,
			headers: func(now time.Time) map[string]string {
				return map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(3*time.Hour).Unix(), 10)}
			},
			wantErr: poll.ErrRateLimited,
		},
		{
			name: "403 without a limit is a permission error", status: 403,
			headers: func(time.Time) map[string]string { return map[string]string{"X-RateLimit-Remaining": "4999"} },
			body:    `{"message":"Resource not accessible by personal access token"}`,
			wantErr: poll.ErrForbidden,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := polltest.NewClock(t0)
			srv := polltest.New(t, "")
			srv.Add(polltest.Route{Path: "/items", Body: `[]`})
			srv.Inject(polltest.Fault{Path: "/items", Status: tc.status, Headers: tc.headers(clock.Now()), Body: tc.body})
			c := newClient(t, srv.URL, clock, nil)
			_, err := c.Get(context.Background(), "/items", nil)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				if len(clock.Sleeps()) != 0 {
					t.Fatalf("slept %v before an error that waiting cannot fix", clock.Sleeps())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := clock.Sleeps(); len(got) != 1 || got[0] != tc.wantSleep {
				t.Fatalf("sleeps %v, want [%v]", got, tc.wantSleep)
			}
			if n := srv.Count("/items"); n != 2 {
				t.Fatalf("%d requests, want 2", n)
			}
		})
	}
}

func TestClientWaitsForSpentQuotaBeforeAsking(t *testing.T) {
	clock := polltest.NewClock(t0)
	srv := polltest.New(t, "")
	srv.Add(polltest.Route{Path: "/a", Body: `[]`, Headers: map[string]string{
		"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(t0.Add(50*time.Second).Unix(), 10)}})
	srv.Add(polltest.Route{Path: "/b", Body: `[]`})
	c := newClient(t, srv.URL, clock, nil)
	for _, p := range []string{"/a", "/b"} {
		if _, err := c.Get(context.Background(), p, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.Sleeps(); len(got) != 1 || got[0] != 50*time.Second {
		t.Fatalf("sleeps %v, want [50s] before the second request", got)
	}
}

func TestClientRetriesServerErrors(t *testing.T) {
	clock := polltest.NewClock(t0)
	srv := polltest.New(t, "")
	srv.Add(polltest.Route{Path: "/items", Body: `[1]`})
	srv.Inject(polltest.Fault{Path: "/items", Status: 500, Times: 2, Body: "boom"})
	srv.Inject(polltest.Fault{Path: "/items", Status: 503, Times: 1, Headers: map[string]string{"Retry-After": "9"}})
	c := newClient(t, srv.URL, clock, nil)
	r, err := c.Get(context.Background(), "/items", nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Body) != "[1]" {
		t.Fatalf("body %s", r.Body)
	}
	// Backoff 1s, 2s (zero jitter keeps the lower half), then the 503's
	// Retry-After of 9s, longer than the 4s backoff.
	want := []time.Duration{500 * time.Millisecond, time.Second, 9 * time.Second}
	if got := clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sleeps %v, want %v", got, want)
	}

	// Bounded: a server that keeps failing is given up on.
	srv.Inject(polltest.Fault{Path: "/items", Status: 502, Times: 100})
	c = newClient(t, srv.URL, clock, func(o *poll.ClientOptions) { o.MaxAttempts = 4; o.MaxBackoff = 3 * time.Second })
	before := len(clock.Sleeps())
	_, err = c.Get(context.Background(), "/items", nil)
	if err == nil || !strings.Contains(err.Error(), "giving up after 4 tries") || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err %v", err)
	}
	got := clock.Sleeps()[before:]
	if fmt.Sprint(got) != fmt.Sprint([]time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond}) {
		t.Fatalf("capped backoff %v", got)
	}
}

func TestClientJitterStaysInBounds(t *testing.T) {
	clock := polltest.NewClock(t0)
	srv := polltest.New(t, "")
	srv.Add(polltest.Route{Path: "/x", Body: `{}`})
	srv.Inject(polltest.Fault{Path: "/x", Status: 500, Times: 1})
	c := newClient(t, srv.URL, clock, func(o *poll.ClientOptions) { o.Jitter = func() float64 { return 0.999 } })
	if _, err := c.Get(context.Background(), "/x", nil); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) != 1 || s[0] < 500*time.Millisecond || s[0] >= time.Second {
		t.Fatalf("jittered first backoff %v, want in [0.5s, 1s)", s)
	}
}

func TestClientRetriesNetworkErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close() // the connection drops mid-request
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer srv.Close()
	clock := polltest.NewClock(t0)
	var logs bytes.Buffer
	c := newClient(t, srv.URL, clock, func(o *poll.ClientOptions) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if _, err := c.Get(context.Background(), "/things", map[string][]string{"q": {"secret-looking"}}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || len(clock.Sleeps()) != 1 {
		t.Fatalf("calls %d sleeps %v", calls.Load(), clock.Sleeps())
	}
	if strings.Contains(logs.String(), "secret-looking") || strings.Contains(logs.String(), "tok-SECRET") {
		t.Fatalf("log leaks a query or token: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "path=/things") {
		t.Fatalf("log should name the path: %s", logs.String())
	}
}

func TestClientRefusedCredentialNamesIt(t *testing.T) {
	srv := polltest.New(t, "")
	srv.Add(polltest.Route{Path: "/items", Body: `[]`})
	srv.RequireHeader("Authorization", "Bearer right")
	c := newClient(t, srv.URL, polltest.NewClock(t0), nil)
	_, err := c.Get(context.Background(), "/items", map[string][]string{"since": {"2026-01-01"}})
	if !errors.Is(err, poll.ErrUnauthorized) {
		t.Fatalf("err %v, want ErrUnauthorized", err)
	}
	msg := err.Error()
	for _, want := range []string{"401", "TEST_TOKEN", "GET /items"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	for _, leak := range []string{"tok-SECRET", "since="} {
		if strings.Contains(msg, leak) {
			t.Errorf("message %q leaks %q", msg, leak)
		}
	}
	if srv.Count("/items") != 1 {
		t.Fatalf("a refused credential must not be retried: %v", srv.Requests())
	}
}

func TestClientLoginCheck(t *testing.T) {
	srv := polltest.New(t, "")
	srv.Add(polltest.Route{Path: "/search", Body: `{"issues":[]}`, Headers: map[string]string{"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}})
	c := newClient(t, srv.URL, polltest.NewClock(t0), func(o *poll.ClientOptions) {
		o.LoginCheck = func(r *poll.Response) error {
			if strings.Contains(r.Header.Get("X-Seraph-LoginReason"), "FAILED") {
				return errors.New("login failed")
			}
			return nil
		}
	})
	_, err := c.Get(context.Background(), "/search", nil)
	if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), "TEST_TOKEN") {
		t.Fatalf("err %v", err)
	}
}

func TestClientOAuth2(t *testing.T) {
	var tokenCalls atomic.Int32
	var apiCalls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth_token.do", func(w http.ResponseWriter, r *http.Request) {
		n := tokenCalls.Add(1)
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if r.Form.Get("client_secret") != "cs" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"access_denied","error_description":"Client authentication failed"}`)
			return
		}
		if r.Form.Get("grant_type") != "client_credentials" {
			t.Errorf("grant_type %q", r.Form.Get("grant_type"))
		}
		fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":1799}`, n)
	})
	mux.HandleFunc("GET /api/now/table/incident", func(w http.ResponseWriter, r *http.Request) {
		n := apiCalls.Add(1)
		// The first token is revoked after one use.
		if r.Header.Get("Authorization") == "Bearer at-1" && n > 1 {
			w.WriteHeader(401)
			return
		}
		fmt.Fprint(w, `{"result":[]}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	clock := polltest.NewClock(t0)
	auth := poll.Auth{Kind: poll.AuthOAuth2, ClientID: "cid", ClientSecret: "cs", TokenURL: srv.URL + "/oauth_token.do", Name: "SN_CLIENT_SECRET"}
	c := newClient(t, srv.URL, clock, func(o *poll.ClientOptions) { o.Auth = auth })
	for range 3 {
		if _, err := c.Get(context.Background(), "/api/now/table/incident", nil); err != nil {
			t.Fatal(err)
		}
	}
	// at-1 once, refused, at-2 fetched and reused.
	if tokenCalls.Load() != 2 || apiCalls.Load() != 4 {
		t.Fatalf("token calls %d, api calls %d", tokenCalls.Load(), apiCalls.Load())
	}
	// An expired token is renewed before use.
	clock.Advance(time.Hour)
	if _, err := c.Get(context.Background(), "/api/now/table/incident", nil); err != nil {
		t.Fatal(err)
	}
	if tokenCalls.Load() != 3 {
		t.Fatalf("token calls %d after expiry", tokenCalls.Load())
	}

	auth.ClientSecret = "wrong"
	c = newClient(t, srv.URL, clock, func(o *poll.ClientOptions) { o.Auth = auth })
	_, err := c.Get(context.Background(), "/api/now/table/incident", nil)
	if !errors.Is(err, poll.ErrUnauthorized) || !strings.Contains(err.Error(), `OAuth client "cid"`) || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error leaks the secret: %v", err)
	}
}

func TestClientOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    poll.ClientOptions
		want string
	}{
		{"no base", poll.ClientOptions{}, "BaseURL is required"},
		{"not http", poll.ClientOptions{BaseURL: "ftp://x"}, "must be an http(s) URL"},
		{"credentials in URL", poll.ClientOptions{BaseURL: "https://u:p@x"}, "must not carry credentials"},
		{"bearer without token", poll.ClientOptions{BaseURL: "https://x", Auth: poll.Auth{Kind: "bearer", Name: "GH"}}, "needs a token (GH)"},
		{"oauth without url", poll.ClientOptions{BaseURL: "https://x", Auth: poll.Auth{Kind: "oauth2", ClientID: "a", ClientSecret: "b"}}, "token URL"},
		{"unknown kind", poll.ClientOptions{BaseURL: "https://x", Auth: poll.Auth{Kind: "digest"}}, "unknown auth kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(fmt.Sprint(err), "u:p") {
				t.Fatalf("leaks credentials: %v", err)
			}
		})
	}
}

func TestLinkRel(t *testing.T) {
	for _, tc := range []struct{ header, rel, want string }{
		{`<https://api.github.com/repositories/1/commits?page=2>; rel="next", <https://api.github.com/repositories/1/commits?page=9>; rel="last"`, "next", "https://api.github.com/repositories/1/commits?page=2"},
		{`<https://api.github.com/x?page=9>; rel="last", <https://api.github.com/x?page=2>; rel="next"`, "next", "https://api.github.com/x?page=2"},
		{`<https://gitlab.example.com/api/v4/projects/8/pipelines?page=1>; rel="prev", <https://gitlab.example.com/api/v4/projects/8/pipelines?page=3>; rel="next"`, "next", "https://gitlab.example.com/api/v4/projects/8/pipelines?page=3"},
		{`<https://x/a?page=1>; rel="first prev"`, "prev", "https://x/a?page=1"},
		{`<https://x/a?q=a,b>; title="x, y"; rel=next`, "next", "https://x/a?q=a,b"},
		{`<https://x/a?page=1>; rel="prev"`, "next", ""},
		{``, "next", ""},
		{`garbage, <https://x/b>; rel="next"`, "next", "https://x/b"},
	} {
		if got := poll.LinkRel(tc.header, tc.rel); got != tc.want {
			t.Errorf("LinkRel(%q, %q) = %q, want %q", tc.header, tc.rel, got, tc.want)
		}
	}
}

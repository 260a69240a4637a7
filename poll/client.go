package poll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Sentinel errors. Client errors wrap one of them when it applies.
var (
	// ErrUnauthorized: the API refused the credential (401, or a login
	// failure the tool reports otherwise). Retrying does not help.
	ErrUnauthorized = errors.New("credential refused")
	// ErrForbidden: the credential is valid but lacks a permission (403
	// that is not a rate limit).
	ErrForbidden = errors.New("permission denied")
	// ErrRateLimited: the rate limit resets later than
	// ClientOptions.MaxRateWait, or the API kept limiting.
	ErrRateLimited = errors.New("rate limited")
	// ErrNotFound: 404, usually a wrong repository or project name, or a
	// token that cannot see it.
	ErrNotFound = errors.New("not found")
)

// Clock is the time the client waits on. Tests inject one that records
// sleeps and returns at once.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, returning ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RealClock is the wall clock.
func RealClock() Clock { return realClock{} }

// ClientOptions configure a Client.
type ClientOptions struct {
	// Source names the tool in errors and logs ("github").
	Source string
	// BaseURL is the API root; request paths are relative to it
	// ("https://api.github.com", "https://gitlab.example.com/api/v4").
	BaseURL string
	// Auth is how requests authenticate.
	Auth Auth
	// UserAgent is sent on every request (default "throughline-poll").
	UserAgent string
	// Header is sent on every request (Accept, API version headers).
	Header http.Header
	// Timeout bounds one request, body included (default 60s).
	Timeout time.Duration
	// MaxAttempts bounds the tries of one request on server errors and
	// network failures (default 6).
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// tries (defaults 1s and 1m); each wait is jittered.
	MinBackoff, MaxBackoff time.Duration
	// MaxRateWait is the longest the client waits for a rate limit to
	// reset (default 1h); a later reset is an error wrapping
	// ErrRateLimited. MaxRateWaits bounds the rate-limit waits of one
	// request (default 10).
	MaxRateWait  time.Duration
	MaxRateWaits int
	// HTTPClient makes the requests (default: a new http.Client).
	HTTPClient *http.Client
	// Logger gets one warning per retry or wait (default: discard).
	Logger *slog.Logger
	// Clock is waited on (default the wall clock).
	Clock Clock
	// Jitter returns a number in [0, 1) (default math/rand/v2).
	Jitter func() float64
	// LoginCheck, when set, inspects every response and returns a non-nil
	// error for a failed login that the API answers with a success code
	// (Jira's X-Seraph-LoginReason). The client wraps it in ErrUnauthorized.
	LoginCheck func(*Response) error
}

// Validate reports the first bad option.
func (o ClientOptions) Validate() error {
	if o.BaseURL == "" {
		return errors.New("poll: ClientOptions.BaseURL is required")
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("poll: base URL %q must be an http(s) URL with a host", redactURL(o.BaseURL))
	}
	if u.User != nil {
		return errors.New("poll: base URL must not carry credentials; use the credentials settings")
	}
	if o.MaxAttempts < 0 || o.MaxRateWaits < 0 || o.Timeout < 0 || o.MinBackoff < 0 || o.MaxBackoff < 0 || o.MaxRateWait < 0 {
		return errors.New("poll: negative limits in ClientOptions")
	}
	return o.Auth.Validate()
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.Source == "" {
		o.Source = "api"
	}
	if o.UserAgent == "" {
		o.UserAgent = "throughline-poll"
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 6
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = time.Minute
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.MaxRateWait == 0 {
		o.MaxRateWait = time.Hour
	}
	if o.MaxRateWaits == 0 {
		o.MaxRateWaits = 10
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	// A redirect may stay on the API's scheme and host, never leave it: Go
	// drops Authorization on another host but not the tools' own token
	// headers (PRIVATE-TOKEN, an auth_header), and the answer would come
	// from elsewhere.
	hc := *o.HTTPClient
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			return fmt.Errorf("refusing a redirect from %s://%s to %s://%s: credentials are only sent to the API host", first.Scheme, first.Host, req.URL.Scheme, req.URL.Host)
		}
		return nil
	}
	o.HTTPClient = &hc
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return o
}

// Client calls one REST API. It is safe for concurrent use.
type Client struct {
	o    ClientOptions
	base *url.URL
	log  *slog.Logger

	mu          sync.Mutex
	pausedUntil time.Time // a previous response said the quota is spent
	token       string    // OAuth access token
	tokenExp    time.Time
}

// NewClient validates o and returns a Client.
func NewClient(o ClientOptions) (*Client, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	base, _ := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	return &Client{o: o, base: base, log: o.Logger.With("component", "poll", "source", o.Source)}, nil
}

// BaseURL returns the API root.
func (c *Client) BaseURL() string { return c.base.String() }

// Source returns the tool name given in the options.
func (c *Client) Source() string { return c.o.Source }

// Clock returns the client's clock.
func (c *Client) Clock() Clock { return c.o.Clock }

// Response is a successful (2xx) answer, body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Path is the request path without the query, for messages.
	Path string
}

// Next returns the rel="next" target of the Link header, or "".
func (r *Response) Next() string { return LinkRel(r.Header.Get("Link"), "next") }

// StatusError is an unexpected HTTP status. Its message names the method
// and path, never the query or a credential.
type StatusError struct {
	Source, Method, Path string
	Status               int
	// Detail is the start of the response body, for the user.
	Detail string
	kind   error
	hint   string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: %s %s: %d %s", e.Source, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.hint != "" {
		msg += ": " + e.hint
	}
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns the sentinel error the status maps to, if any.
func (e *StatusError) Unwrap() error { return e.kind }

// Get requests ref (a path relative to the base URL, or an absolute URL on
// the base URL's host, as in Link headers) with the query q added.
func (c *Client) Get(ctx context.Context, ref string, q url.Values) (*Response, error) {
	return c.Do(ctx, http.MethodGet, ref, q, nil, "")
}

// GetJSON requests ref and decodes the JSON body into v.
func (c *Client) GetJSON(ctx context.Context, ref string, q url.Values, v any) (*Response, error) {
	r, err := c.Get(ctx, ref, q)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return r, fmt.Errorf("%s: GET %s: the answer is not the expected JSON: %v", c.o.Source, r.Path, err)
	}
	return r, nil
}

// Do sends one request, retrying as the options say. body is resent on
// each try.
func (c *Client) Do(ctx context.Context, method, ref string, q url.Values, body []byte, contentType string) (*Response, error) {
	u, err := c.resolve(ref, q)
	if err != nil {
		return nil, err
	}
	path := u.Path
	attempts, rateWaits, refreshed := 0, 0, false
	for {
		if err := c.waitPause(ctx, method, path); err != nil {
			return nil, err
		}
		attempts++
		resp, err := c.once(ctx, method, u, body, contentType)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var se *StatusError
			if errors.As(err, &se) { // from the OAuth token request
				return nil, err
			}
			if attempts >= c.o.MaxAttempts {
				return nil, fmt.Errorf("%s: %s %s: giving up after %d tries: %w", c.o.Source, method, path, attempts, err)
			}
			d := c.backoff(attempts)
			c.log.Warn("request failed, retrying", "method", method, "path", path, "err", err, "attempt", attempts, "wait", d)
			if err := c.o.Clock.Sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		resp.Path = path
		c.notePause(resp.Header)
		if resp.Status >= 200 && resp.Status < 300 {
			if c.o.LoginCheck != nil {
				if err := c.o.LoginCheck(resp); err != nil {
					return nil, &StatusError{Source: c.o.Source, Method: method, Path: path, Status: http.StatusUnauthorized,
						kind: ErrUnauthorized, hint: err.Error() + "; " + c.o.Auth.refusedHint()}
				}
			}
			return resp, nil
		}
		// Rate limits first: GitHub answers 403 for a spent quota.
		if wait, limited := rateLimitWait(resp, c.o.Clock.Now()); limited {
			rateWaits++
			if wait > c.o.MaxRateWait {
				return nil, fmt.Errorf("%s: %s %s: %w: the limit resets in %s, later than the longest wait (%s); run again later",
					c.o.Source, method, path, ErrRateLimited, wait.Round(time.Second), c.o.MaxRateWait)
			}
			if rateWaits > c.o.MaxRateWaits {
				return nil, fmt.Errorf("%s: %s %s: %w: still limited after %d waits", c.o.Source, method, path, ErrRateLimited, rateWaits-1)
			}
			c.log.Warn("rate limited, waiting", "method", method, "path", path, "status", resp.Status, "wait", wait)
			if err := c.o.Clock.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case resp.Status == http.StatusUnauthorized:
			if c.o.Auth.Kind == AuthOAuth2 && !refreshed {
				// The access token may have been revoked or expired early.
				refreshed = true
				c.dropToken()
				continue
			}
			return nil, c.statusError(method, path, resp, ErrUnauthorized, c.o.Auth.refusedHint())
		case resp.Status == http.StatusForbidden:
			return nil, c.statusError(method, path, resp, ErrForbidden, c.o.Auth.forbiddenHint())
		case resp.Status == http.StatusNotFound:
			return nil, c.statusError(method, path, resp, ErrNotFound, "check the repository, project or instance name, and that the credential can see it")
		case resp.Status >= 500 || resp.Status == http.StatusRequestTimeout || resp.Status == http.StatusTooManyRequests:
			if attempts >= c.o.MaxAttempts {
				return nil, fmt.Errorf("giving up after %d tries: %w", attempts, c.statusError(method, path, resp, nil, ""))
			}
			d := c.backoff(attempts)
			if ra, ok := retryAfter(resp.Header, c.o.Clock.Now()); ok && ra > d && ra <= c.o.MaxRateWait {
				d = ra
			}
			c.log.Warn("server error, retrying", "method", method, "path", path, "status", resp.Status, "attempt", attempts, "wait", d)
			if err := c.o.Clock.Sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		return nil, c.statusError(method, path, resp, nil, "")
	}
}

func (c *Client) statusError(method, path string, r *Response, kind error, hint string) *StatusError {
	return &StatusError{Source: c.o.Source, Method: method, Path: path, Status: r.Status, Detail: detail(r.Body), kind: kind, hint: hint}
}

// detail is the start of an error body, on one line, for the user.
func detail(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// resolve joins ref to the base URL. An absolute ref must be on the base
// URL's scheme and host: credentials are never sent elsewhere.
func (c *Client) resolve(ref string, q url.Values) (*url.URL, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: bad request path %q: %v", c.o.Source, redactURL(ref), err)
	}
	var u *url.URL
	if r.IsAbs() {
		if r.Scheme != c.base.Scheme || r.Host != c.base.Host {
			return nil, fmt.Errorf("%s: refusing to follow %s://%s%s: not the API host %s", c.o.Source, r.Scheme, r.Host, r.Path, c.base.Host)
		}
		u = r
	} else {
		// Escaped paths are kept: GitLab wants "group%2Fproject".
		p := r.EscapedPath()
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		// A path that already starts with the base path (from a relative
		// next link) is not prefixed twice.
		if bp := c.base.EscapedPath(); bp != "" && !strings.HasPrefix(p, bp+"/") && p != bp {
			p = bp + p
		}
		u, err = url.Parse(c.base.Scheme + "://" + c.base.Host + p)
		if err != nil {
			return nil, fmt.Errorf("%s: bad request path %q: %v", c.o.Source, r.Path, err)
		}
		u.RawQuery = r.RawQuery
	}
	if len(q) > 0 {
		v := u.Query()
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		u.RawQuery = v.Encode()
	}
	return u, nil
}

func (c *Client) once(ctx context.Context, method string, u *url.URL, body []byte, contentType string) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build request %s: %v", u.Path, err)
	}
	for k, vs := range c.o.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", c.o.UserAgent)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if err := c.authorize(ctx, req); err != nil {
		return nil, err
	}
	res, err := c.o.HTTPClient.Do(req)
	if err != nil {
		return nil, scrub(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read body of %s: %v", u.Path, scrub(err))
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// maxBody bounds one response body (an API page is far smaller).
const maxBody = 64 << 20

// scrub removes the URL (and so any query string) from a transport error.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		var ne net.Error
		if errors.As(ue.Err, &ne) && ne.Timeout() {
			return fmt.Errorf("%s: timeout", ue.Op)
		}
		return fmt.Errorf("%s: %v", ue.Op, ue.Err)
	}
	return err
}

// redactURL drops the user info and query of a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

// backoff is the wait before try attempt+1: exponential from MinBackoff,
// capped at MaxBackoff, with the upper half jittered so concurrent
// clients spread out but never retry at once.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.o.MinBackoff
	for i := 1; i < attempt && d < c.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.o.MaxBackoff)
	return d/2 + time.Duration(c.o.Jitter()*float64(d/2))
}

// notePause remembers a spent quota announced on any response, so the
// next request waits for the reset instead of being refused.
func (c *Client) notePause(h http.Header) {
	for _, pair := range [][2]string{{"X-RateLimit-Remaining", "X-RateLimit-Reset"}, {"RateLimit-Remaining", "RateLimit-Reset"}} {
		if strings.TrimSpace(h.Get(pair[0])) != "0" {
			continue
		}
		if t, ok := resetTime(h.Get(pair[1]), c.o.Clock.Now()); ok {
			c.mu.Lock()
			if t.After(c.pausedUntil) {
				c.pausedUntil = t
			}
			c.mu.Unlock()
		}
	}
}

func (c *Client) waitPause(ctx context.Context, method, path string) error {
	c.mu.Lock()
	until := c.pausedUntil
	c.mu.Unlock()
	d := until.Sub(c.o.Clock.Now())
	if d <= 0 {
		return nil
	}
	if d > c.o.MaxRateWait {
		return fmt.Errorf("%s: %s %s: %w: the quota resets in %s, later than the longest wait (%s); run again later",
			c.o.Source, method, path, ErrRateLimited, d.Round(time.Second), c.o.MaxRateWait)
	}
	c.log.Warn("rate limit quota spent, waiting for the reset", "wait", d)
	if err := c.o.Clock.Sleep(ctx, d); err != nil {
		return err
	}
	c.mu.Lock()
	if !c.pausedUntil.After(until) {
		c.pausedUntil = time.Time{}
	}
	c.mu.Unlock()
	return nil
}

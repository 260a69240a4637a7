package bmchelix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/throughline/throughline/poll"
)

// Source is the events' source.
const Source = "bmchelix"

const (
	loginPath  = "/api/jwt/login"
	logoutPath = "/api/jwt/logout"
)

// API is a logged-in session with a Helix server's REST API. It logs in
// on first use, sends the JWT as "Authorization: AR-JWT <token>", logs in
// again once when a request is refused (the token expired), and is safe
// for concurrent use.
type API struct {
	c        *poll.Client
	user     string
	password string
	name     string // where the password comes from, for errors

	loginMu sync.Mutex // one login at a time
	mu      sync.Mutex // guards token
	token   string
}

// NewAPIClient returns a session for the server at o.BaseURL
// (https://<tenant>-restapi.onbmc.com). o.Auth.Username and Password are
// the Helix user; o.Auth.Name says where the password comes from.
// Retries, rate limits and backoff are the poll.Client's.
func NewAPIClient(o poll.ClientOptions) (*API, error) {
	a := o.Auth
	if a.Username == "" || a.Password == "" {
		return nil, fmt.Errorf("bmchelix: credentials.username and credentials.password are required (a Helix user allowed to use the REST API)%s", from(a.Name))
	}
	s := &API{user: a.Username, password: a.Password, name: a.Name}
	o.Source = Source
	// The poll.Client sends no credential itself: the transport adds the
	// session's token, which changes when it expires.
	o.Auth = poll.Auth{Name: a.Name}
	hc := &http.Client{}
	if o.HTTPClient != nil {
		cp := *o.HTTPClient
		hc = &cp
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &tokenTransport{base: base, s: s}
	o.HTTPClient = hc
	c, err := poll.NewClient(o)
	if err != nil {
		return nil, err
	}
	s.c = c
	return s, nil
}

func from(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

// BaseURL returns the server's URL.
func (s *API) BaseURL() string { return s.c.BaseURL() }

func (s *API) current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// tokenTransport puts the session's token on every request but the login.
type tokenTransport struct {
	base http.RoundTripper
	s    *API
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok := t.s.current(); tok != "" && !strings.HasSuffix(r.URL.Path, loginPath) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "AR-JWT "+tok)
	}
	return t.base.RoundTrip(r)
}

// authError is a refused login or session; it wraps poll.ErrUnauthorized.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }
func (e *authError) Unwrap() error { return poll.ErrUnauthorized }

func (s *API) refused(what string, se *poll.StatusError) error {
	msg := fmt.Sprintf("%s: %s %s: %d %s: %s user %q (password from %s): check the user name and password, that the account is not locked and may use the REST API",
		Source, se.Method, se.Path, se.Status, http.StatusText(se.Status), what, s.user, orDefault(s.name, "the configured credentials"))
	if se.Detail != "" {
		msg += " (" + se.Detail + ")"
	}
	return &authError{msg: msg}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// login gets a new token, replacing stale (the token refused, "" for
// none): of concurrent requests refused together, only one logs in.
func (s *API) login(ctx context.Context, stale string) error {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	if s.current() != stale {
		return nil
	}
	s.setToken("")
	form := url.Values{"username": {s.user}, "password": {s.password}}
	r, err := s.c.Do(ctx, http.MethodPost, loginPath, nil, []byte(form.Encode()), "application/x-www-form-urlencoded")
	var se *poll.StatusError
	if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden) {
		return s.refused("Helix refused the login of", se)
	}
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	tok := strings.TrimSpace(string(r.Body))
	if tok == "" || len(tok) > 16<<10 || strings.ContainsAny(tok, " \r\n\t{[<") {
		return fmt.Errorf("%s: POST %s: the answer is not a token (is the base URL the REST API's, https://<tenant>-restapi.onbmc.com?)", Source, loginPath)
	}
	s.setToken(tok)
	return nil
}

func (s *API) setToken(tok string) {
	s.mu.Lock()
	s.token = tok
	s.mu.Unlock()
}

// Get requests ref with the session, logging in first and once more
// when the token is refused.
func (s *API) Get(ctx context.Context, ref string, q url.Values) (*poll.Response, error) {
	tok := s.current()
	if tok == "" {
		if err := s.login(ctx, ""); err != nil {
			return nil, err
		}
		tok = s.current()
	}
	r, err := s.c.Get(ctx, ref, q)
	var se *poll.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		return r, err
	}
	// The token expired (Helix's default lifetime is an hour) or the
	// server restarted: log in again, once.
	if err := s.login(ctx, tok); err != nil {
		return nil, err
	}
	r, err = s.c.Get(ctx, ref, q)
	if errors.As(err, &se) && se.Status == http.StatusUnauthorized {
		return nil, s.refused("refused right after a fresh login of", se)
	}
	return r, err
}

// Logout ends the session, if any. Errors are ignored: the token expires
// anyway.
func (s *API) Logout(ctx context.Context) {
	if s.current() == "" {
		return
	}
	_, _ = s.c.Do(ctx, http.MethodPost, logoutPath, nil, []byte{}, "")
	s.setToken("")
}

package cherwell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/throughline/throughline/poll"
)

// Source is the events' source.
const Source = "cherwell"

const (
	tokenPath  = "/CherwellAPI/token"
	logoutPath = "/CherwellAPI/api/V1/logout"
)

// API is a logged-in session with a Cherwell server's REST API. It logs
// in on first use (OAuth 2.0 password grant), sends the access token as
// "Authorization: Bearer <token>", refreshes it when it expires or is
// refused (once, then logs in again once) and is safe for concurrent
// use.
type API struct {
	c        *poll.Client
	clientID string
	user     string
	password string
	name     string // where the password comes from, for errors

	loginMu sync.Mutex // one token request at a time
	mu      sync.Mutex // guards the token
	token   string
	refresh string
	expires time.Time
	// authMode is the token request's auth_mode; "" sends none.
	authMode string
}

// NewAPIClient returns a session for the server at o.BaseURL (the
// server's root, https://acme.cherwellondemand.com; the API is under
// /CherwellAPI). o.Auth.ClientID is the REST API client key,
// o.Auth.Username and Password the Cherwell user; o.Auth.Name says where
// the password comes from. Retries, rate limits and backoff are the
// poll.Client's.
func NewAPIClient(o poll.ClientOptions) (*API, error) {
	a := o.Auth
	if a.ClientID == "" {
		return nil, fmt.Errorf("cherwell: credentials.client_id is required (the REST API client key, from CSM Administrator: Security > Edit REST API client settings)")
	}
	if a.Username == "" || a.Password == "" {
		return nil, fmt.Errorf("cherwell: credentials.username and credentials.password are required (a Cherwell user allowed to use the REST API)%s", from(a.Name))
	}
	s := &API{clientID: a.ClientID, user: a.Username, password: a.Password, name: a.Name}
	o.Source = Source
	o.BaseURL = strings.TrimSuffix(strings.TrimSuffix(o.BaseURL, "/"), "/CherwellAPI")
	// The poll.Client sends no credential itself: the transport adds the
	// session's token, which changes when it is refreshed.
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

// tokenTransport puts the session's token on every request but the
// token request.
type tokenTransport struct {
	base http.RoundTripper
	s    *API
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok := t.s.current(); tok != "" && !strings.HasSuffix(r.URL.Path, tokenPath) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return t.base.RoundTrip(r)
}

// authError is a refused login or session; it wraps poll.ErrUnauthorized.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }
func (e *authError) Unwrap() error { return poll.ErrUnauthorized }

func (s *API) refused(what string, se *poll.StatusError) error {
	msg := fmt.Sprintf("%s: %s %s: %d %s: %s user %q with client %q (password from %s): check the user name, password and REST API client key, and that the account is not locked and may use the REST API",
		Source, se.Method, se.Path, se.Status, http.StatusText(se.Status), what, s.user, s.clientID, orDefault(s.name, "the configured credentials"))
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

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	ExpiresIn    json.Number     `json:"expires_in"`
	TokenType    string          `json:"token_type"`
	Error        string          `json:"error"`
	Description  json.RawMessage `json:"error_description"`
}

// grant posts a token request; refused says whether Cherwell refused it
// (a 400 invalid_grant or a 401).
// SetAuthMode sets the token request's auth_mode (see ImportOptions).
func (s *API) SetAuthMode(mode string) {
	s.mu.Lock()
	s.authMode = mode
	s.mu.Unlock()
}

func (s *API) grant(ctx context.Context, form url.Values) (refused *poll.StatusError, err error) {
	s.mu.Lock()
	mode := s.authMode
	s.mu.Unlock()
	var q url.Values
	if mode != "" {
		q = url.Values{"auth_mode": {mode}}
	}
	r, err := s.c.Do(ctx, http.MethodPost, tokenPath, q, []byte(form.Encode()), "application/x-www-form-urlencoded")
	var se *poll.StatusError
	if errors.As(err, &se) && (se.Status == http.StatusBadRequest || se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden) {
		return se, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	var a tokenAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil || a.AccessToken == "" || strings.ContainsAny(a.AccessToken, " \r\n\t") {
		return nil, fmt.Errorf("%s: POST %s: the answer is not a token (is the instance the server's root, https://<host>, with the API at /CherwellAPI?)", Source, tokenPath)
	}
	exp := time.Time{}
	if n, err := a.ExpiresIn.Int64(); err == nil && n > 0 {
		// Refresh a minute early, so no request is sent with a token
		// about to expire.
		exp = s.c.Clock().Now().Add(time.Duration(n)*time.Second - time.Minute)
	}
	s.mu.Lock()
	s.token, s.refresh, s.expires = a.AccessToken, a.RefreshToken, exp
	s.mu.Unlock()
	return nil, nil
}

// login gets a new token with the password.
func (s *API) login(ctx context.Context) error {
	refused, err := s.grant(ctx, url.Values{
		"grant_type": {"password"}, "client_id": {s.clientID}, "username": {s.user}, "password": {s.password},
	})
	if err != nil {
		return err
	}
	if refused != nil {
		return s.refused("Cherwell refused the login of", refused)
	}
	return nil
}

// renew replaces the token stale (the one refused or expired, "" for
// none): with the refresh token when there is one and useRefresh, else
// (or when the refresh is refused) by logging in. It says whether the
// new token came from a refresh. Of concurrent requests refused
// together, only one renews.
func (s *API) renew(ctx context.Context, stale string, useRefresh bool) (refreshed bool, err error) {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	s.mu.Lock()
	tok, refresh := s.token, s.refresh
	s.mu.Unlock()
	if tok != stale {
		return false, nil
	}
	s.mu.Lock()
	s.token = ""
	s.mu.Unlock()
	if refresh != "" && useRefresh {
		refused, err := s.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "client_id": {s.clientID}, "refresh_token": {refresh}})
		if err != nil {
			return false, err
		}
		if refused == nil {
			return true, nil
		}
		// The refresh token expired too: log in again.
	}
	return false, s.login(ctx)
}

func (s *API) expired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.expires.IsZero() && !s.c.Clock().Now().Before(s.expires)
}

// Do sends a request with the session: it logs in first and renews an
// expired token. A refused token (401) is refreshed once; if the
// refreshed token is refused too, the session logs in again once; a
// token refused right after a login is an error. It never loops.
func (s *API) Do(ctx context.Context, method, ref string, body []byte) (*poll.Response, error) {
	tok := s.current()
	if tok == "" || s.expired() {
		if _, err := s.renew(ctx, tok, true); err != nil {
			return nil, err
		}
	}
	ct := ""
	if body != nil {
		ct = "application/json"
	}
	refreshed := false
	for try := 0; ; try++ {
		tok = s.current()
		r, err := s.c.Do(ctx, method, ref, nil, body, ct)
		var se *poll.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
			return r, err
		}
		switch {
		case try == 0:
			// The token expired early or was revoked.
			refreshed, err = s.renew(ctx, tok, true)
		case try == 1 && refreshed:
			// The refreshed token is refused too: log in again.
			refreshed, err = s.renew(ctx, tok, false)
		default:
			return nil, s.refused("refused right after a fresh login of", se)
		}
		if err != nil {
			return nil, err
		}
	}
}

// Logout ends the session, if any. Errors are ignored: the token expires
// anyway.
func (s *API) Logout(ctx context.Context) {
	if s.current() == "" {
		return
	}
	_, _ = s.c.Do(ctx, http.MethodDelete, logoutPath, nil, nil, "")
	s.mu.Lock()
	s.token, s.refresh, s.expires = "", "", time.Time{}
	s.mu.Unlock()
}

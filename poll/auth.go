package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Auth kinds.
const (
	AuthNone   = ""
	AuthBearer = "bearer" // Authorization: Bearer <Token>
	AuthBasic  = "basic"  // Authorization: Basic <Username:Password>
	AuthHeader = "header" // <Header>: <Token> (GitLab's PRIVATE-TOKEN)
	AuthOAuth2 = "oauth2" // client credentials, or password grant with Username
)

// Auth is how a Client authenticates. Secrets come from the environment
// through the configuration; the client never logs them.
type Auth struct {
	Kind string
	// Token is the bearer token, or the value of Header.
	Token string
	// Header is the header carrying Token for kind header.
	Header string
	// Username and Password are basic credentials, or the resource owner
	// of an OAuth password grant.
	Username, Password string
	// ClientID, ClientSecret and TokenURL are the OAuth 2.0 client
	// (ServiceNow: Application Registry; TokenURL <instance>/oauth_token.do).
	ClientID, ClientSecret, TokenURL string
	// Name says where the credential comes from, for error messages
	// ("GITHUB_TOKEN", "polling.jobs[0].credentials.token"). Never the value.
	Name string
}

// Validate checks that the kind has what it needs.
func (a Auth) Validate() error {
	switch a.Kind {
	case AuthNone:
	case AuthBearer:
		if a.Token == "" {
			return fmt.Errorf("poll: bearer auth needs a token%s", a.from())
		}
	case AuthHeader:
		if a.Token == "" || a.Header == "" {
			return fmt.Errorf("poll: header auth needs a header name and a token%s", a.from())
		}
	case AuthBasic:
		if a.Username == "" && a.Password == "" {
			return fmt.Errorf("poll: basic auth needs a username or a password%s", a.from())
		}
	case AuthOAuth2:
		if a.ClientID == "" || a.ClientSecret == "" || a.TokenURL == "" {
			return fmt.Errorf("poll: OAuth 2.0 needs client_id, client_secret and a token URL%s", a.from())
		}
		if u, err := url.Parse(a.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Errorf("poll: OAuth 2.0 token URL %q is not an http(s) URL", redactURL(a.TokenURL))
		}
	default:
		return fmt.Errorf("poll: unknown auth kind %q (bearer, basic, header or oauth2)", a.Kind)
	}
	return nil
}

func (a Auth) from() string {
	if a.Name == "" {
		return ""
	}
	return " (" + a.Name + ")"
}

func (a Auth) what() string {
	name := a.Name
	if name == "" {
		name = "the configured credential"
	}
	switch a.Kind {
	case AuthNone:
		return "no credential was sent; configure one"
	case AuthBasic:
		return fmt.Sprintf("the basic credentials (user %q, password from %s)", a.Username, name)
	case AuthOAuth2:
		if a.Username != "" {
			return fmt.Sprintf("the OAuth client %q with user %q (%s)", a.ClientID, a.Username, name)
		}
		return fmt.Sprintf("the OAuth client %q (%s)", a.ClientID, name)
	}
	return "the token from " + name
}

func (a Auth) refusedHint() string {
	if a.Kind == AuthNone {
		return "the API wants a credential; configure one"
	}
	return "the API refused " + a.what() + ": check that it is valid, not expired and not revoked"
}

func (a Auth) forbiddenHint() string {
	if a.Kind == AuthNone {
		return "the API wants a credential; configure one"
	}
	return "the API accepted " + a.what() + " but it lacks a permission or scope this needs (see poll/SOURCES.md)"
}

func (c *Client) authorize(ctx context.Context, req *http.Request) error {
	a := c.o.Auth
	switch a.Kind {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+a.Token)
	case AuthHeader:
		req.Header.Set(a.Header, a.Token)
	case AuthBasic:
		req.SetBasicAuth(a.Username, a.Password)
	case AuthOAuth2:
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

func (c *Client) dropToken() {
	c.mu.Lock()
	c.token, c.tokenExp = "", time.Time{}
	c.mu.Unlock()
}

// accessToken returns a cached OAuth access token, fetching a new one a
// minute before the old one expires.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	now := c.o.Clock.Now()
	c.mu.Lock()
	tok, exp := c.token, c.tokenExp
	c.mu.Unlock()
	if tok != "" && now.Before(exp) {
		return tok, nil
	}
	a := c.o.Auth
	form := url.Values{"client_id": {a.ClientID}, "client_secret": {a.ClientSecret}}
	if a.Username != "" {
		form.Set("grant_type", "password")
		form.Set("username", a.Username)
		form.Set("password", a.Password)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	tu, err := url.Parse(a.TokenURL)
	if err != nil {
		return "", fmt.Errorf("%s: OAuth token URL: %v", c.o.Source, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tu.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.o.UserAgent)
	res, err := c.o.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("OAuth token request: %w", scrub(err))
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expires_in"`
		Error       string  `json:"error"`
		Description string  `json:"error_description"`
	}
	dec := json.NewDecoder(io.LimitReader(res.Body, 1<<20))
	decErr := dec.Decode(&body)
	if res.StatusCode >= 500 {
		return "", fmt.Errorf("OAuth token request: %d %s", res.StatusCode, http.StatusText(res.StatusCode))
	}
	if res.StatusCode != http.StatusOK || body.AccessToken == "" {
		hint := "the token endpoint refused " + a.what()
		if body.Error != "" {
			hint += ": " + body.Error
			if body.Description != "" {
				hint += " (" + body.Description + ")"
			}
		}
		return "", &StatusError{Source: c.o.Source, Method: http.MethodPost, Path: tu.Path, Status: res.StatusCode, kind: ErrUnauthorized, hint: hint}
	}
	if decErr != nil {
		return "", errors.New("OAuth token response is not JSON")
	}
	life := time.Duration(body.ExpiresIn) * time.Second
	if life <= 0 {
		life = 30 * time.Minute
	}
	// Renew a minute early (or at half-life for short tokens).
	exp = now.Add(life - min(time.Minute, life/2))
	c.mu.Lock()
	c.token, c.tokenExp = body.AccessToken, exp
	c.mu.Unlock()
	return body.AccessToken, nil
}

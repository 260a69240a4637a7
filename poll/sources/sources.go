// Package sources builds each polling job's importer from its
// configuration: the API client (base URL, credentials, the tool's
// headers) and the tool's importer, whose mapping options start from the
// tool's webhook options and are overridden by the job's options, so a
// polled fact and a pushed one become the same event.
//
// It is the one place that knows every tool; poll itself knows none, and
// the tool packages know only poll. It does no I/O when building.
package sources

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest/azuredevops"
	"github.com/throughline/throughline/ingest/bitbucket"
	"github.com/throughline/throughline/ingest/bmchelix"
	"github.com/throughline/throughline/ingest/cherwell"
	"github.com/throughline/throughline/ingest/github"
	"github.com/throughline/throughline/ingest/gitlab"
	"github.com/throughline/throughline/ingest/jira"
	"github.com/throughline/throughline/ingest/mapping"
	"github.com/throughline/throughline/ingest/servicenow"
	"github.com/throughline/throughline/poll"
)

// Options are shared by every job. The tool options are the ones the
// tool's webhook is configured with (deploy patterns, service maps, time
// zone...): give the same, so that polled and pushed events map alike.
type Options struct {
	GitHub      github.Options
	GitLab      gitlab.Options
	Bitbucket   bitbucket.Options
	AzureDevOps azuredevops.Options
	ServiceNow  servicenow.Options
	Jira        jira.Options
	// HTTPClient makes the requests (default: a new one per client).
	HTTPClient *http.Client
	// Logger gets the clients' retry warnings (default: discard).
	Logger *slog.Logger
	// Clock is waited on for rate limits and backoff (default: real).
	Clock poll.Clock
	// UserAgent is sent on every request (default "throughline-poll").
	UserAgent string
	// CredentialName, when set, names where the credentials come from in
	// errors (the import command says "--token-env GITHUB_TOKEN"); the
	// default is the job's credentials keys.
	CredentialName string
	// Key prefixes option errors (default "polling.jobs[<name>]").
	Key string
}

// Builder returns a build function for poll.SchedulerOptions.Build.
func Builder(o Options) func(poll.Job) (poll.Importer, error) {
	return func(j poll.Job) (poll.Importer, error) { return Build(j, o) }
}

// Validate builds every job's importer without I/O, so a bad option stops
// start-up with its key ("polling.jobs[1].options: unknown key foo").
func Validate(c *poll.Config, o Options) error {
	if c == nil {
		return nil
	}
	if err := c.Validate(); err != nil {
		return err
	}
	for i, j := range c.Jobs {
		o.Key = fmt.Sprintf("polling.jobs[%d]", i)
		if _, err := Build(j, o); err != nil {
			return err
		}
	}
	return nil
}

// Build returns the importer of job j.
func Build(j poll.Job, o Options) (poll.Importer, error) {
	key := o.Key
	if key == "" {
		key = "polling.jobs[" + j.Name + "]"
	}
	if err := j.ValidateTarget(key); err != nil {
		return nil, err
	}
	optKey := key + ".options"
	co := o.clientOptions(j, key)
	switch j.Tool {
	case poll.ToolGitHub:
		io := github.ImportOptions{Options: o.GitHub}
		if err := decodeOptions(j, optKey, &io, "secret"); err != nil {
			return nil, err
		}
		co.BaseURL = j.BaseURL
		c, err := github.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client, io.Repo = c, j.Repo
		imp, err := github.NewImporter(io)
		return checked(optKey, imp, err)
	case poll.ToolGitLab:
		io := gitlab.ImportOptions{Options: o.GitLab}
		if err := decodeOptions(j, optKey, &io, "secret"); err != nil {
			return nil, err
		}
		co.BaseURL = j.BaseURL
		c, err := gitlab.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client, io.Repo = c, j.Repo
		imp, err := gitlab.NewImporter(io)
		return checked(optKey, imp, err)
	case poll.ToolBitbucket:
		io := bitbucket.ImportOptions{Options: o.Bitbucket}
		if err := decodeOptions(j, optKey, &io, "secret"); err != nil {
			return nil, err
		}
		co.BaseURL = j.BaseURL
		c, err := bitbucket.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client, io.Repo = c, j.Repo
		imp, err := bitbucket.NewImporter(io)
		return checked(optKey, imp, err)
	case poll.ToolAzureDevOps:
		io := azuredevops.ImportOptions{Options: o.AzureDevOps}
		if err := decodeOptions(j, optKey, &io, "username", "password"); err != nil {
			return nil, err
		}
		base := j.BaseURL
		if base == "" {
			base = azuredevops.DefaultAPI
		}
		co.BaseURL = base
		c, err := azuredevops.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		co.BaseURL = azuredevops.ReleaseBaseURL(base)
		rc, err := azuredevops.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client, io.ReleaseClient, io.Repo = c, rc, j.Repo
		imp, err := azuredevops.NewImporter(io)
		return checked(optKey, imp, err)
	case poll.ToolServiceNow:
		io := servicenow.ImportOptions{Options: o.ServiceNow}
		if err := decodeOptions(j, optKey, &io, "username", "password", "token"); err != nil {
			return nil, err
		}
		co.BaseURL = j.Instance
		c, err := servicenow.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client = c
		imp, err := servicenow.NewPoller(io)
		return checked(optKey, imp, err)
	case poll.ToolJira:
		io := jira.ImportOptions{Options: o.Jira}
		if err := decodeOptions(j, optKey, &io, "secret", "token"); err != nil {
			return nil, err
		}
		co.BaseURL = j.Instance
		c, err := jira.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client, io.Project = c, j.Project
		imp, err := jira.NewPoller(io)
		return checked(optKey, imp, err)
	case poll.ToolHelix:
		var io bmchelix.ImportOptions
		if err := decodeOptions(j, optKey, &io); err != nil {
			return nil, err
		}
		if j.Instance == "" {
			return nil, fmt.Errorf("%s.instance: required (the REST API's URL, https://<tenant>-restapi.onbmc.com)", key)
		}
		if j.Credentials.Username == "" || j.Credentials.Password == "" {
			return nil, fmt.Errorf("%s.credentials.password: required with username (a Helix user allowed to use the REST API)", key)
		}
		co.BaseURL = j.Instance
		c, err := bmchelix.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client = c
		imp, err := bmchelix.NewPoller(io)
		return checked(optKey, imp, err)
	case poll.ToolCherwell:
		var io cherwell.ImportOptions
		if err := decodeOptions(j, optKey, &io); err != nil {
			return nil, err
		}
		if j.Instance == "" {
			return nil, fmt.Errorf("%s.instance: required (the server's root, https://<host>; the API is under /CherwellAPI)", key)
		}
		if j.Credentials.ClientID == "" {
			return nil, fmt.Errorf("%s.credentials.client_id: required (the REST API client key, from CSM Administrator: Security > Edit REST API client settings)", key)
		}
		if j.Credentials.Username == "" || j.Credentials.Password == "" {
			return nil, fmt.Errorf("%s.credentials.password: required with username (a Cherwell user allowed to use the REST API)", key)
		}
		co.BaseURL = j.Instance
		c, err := cherwell.NewAPIClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		c.SetAuthMode(io.AuthMode)
		io.Client = c
		imp, err := cherwell.NewPoller(io)
		return checked(optKey, imp, err)
	case poll.ToolGeneric:
		var io mapping.PollOptions
		if err := decodeOptions(j, optKey, &io); err != nil {
			return nil, err
		}
		if io.Name == "" {
			io.Name = j.Name
		}
		switch a := &co.Auth; {
		case io.AuthHeader != "" && a.Token != "":
			*a = poll.Auth{Kind: poll.AuthHeader, Header: io.AuthHeader, Token: io.AuthPrefix + a.Token, Name: a.Name}
		case a.ClientID != "":
			a.Kind = poll.AuthOAuth2 // Cherwell: password grant when username is set
		case a.Username != "":
			a.Kind = poll.AuthBasic
		case a.Token != "":
			a.Kind = poll.AuthBearer
		}
		co.Source = io.Name
		co.BaseURL = j.Instance
		c, err := poll.NewClient(co)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		io.Client = c
		imp, err := mapping.NewPoller(io)
		return checked(optKey, imp, err)
	}
	return nil, fmt.Errorf("%s.tool: %q is not one of %s", key, j.Tool, strings.Join(poll.Tools(), ", "))
}

// clientOptions turns the job's credentials into the client's auth: the
// tool's NewAPIClient picks the kind from what is set.
func (o Options) clientOptions(j poll.Job, key string) poll.ClientOptions {
	cr := j.Credentials
	name := o.CredentialName
	if name == "" {
		var set []string
		for _, f := range []struct{ k, v string }{{"token", cr.Token}, {"password", cr.Password}, {"client_secret", cr.ClientSecret}} {
			if f.v != "" {
				set = append(set, key+".credentials."+f.k)
			}
		}
		name = strings.Join(set, ", ")
		if name == "" {
			name = key + ".credentials"
		}
	}
	return poll.ClientOptions{
		Auth: poll.Auth{Token: cr.Token, Username: cr.Username, Password: cr.Password,
			ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, TokenURL: cr.TokenURL, Name: name},
		UserAgent:  o.UserAgent,
		HTTPClient: o.HTTPClient,
		Logger:     o.Logger,
		Clock:      o.Clock,
	}
}

// decodeOptions decodes the job's options over v, and refuses the
// webhook's credential keys: polling authenticates with credentials.
func decodeOptions(j poll.Job, key string, v any, credentialKeys ...string) error {
	if err := j.DecodeOptions(key, v); err != nil {
		return err
	}
	if j.Options.Kind == 0 {
		return nil
	}
	var m map[string]any
	if err := j.DecodeOptions(key, &m); err != nil {
		return nil
	}
	for _, k := range credentialKeys {
		if _, ok := m[k]; ok {
			return fmt.Errorf("%s.%s: a webhook setting; a polling job authenticates with credentials", key, k)
		}
	}
	return nil
}

// checked prefixes an importer's option error with the options' key.
func checked(key string, imp poll.Importer, err error) (poll.Importer, error) {
	if err != nil {
		return nil, fmt.Errorf("%s.%w", key, err)
	}
	return imp, nil
}

// DefaultOverlap returns the overlap an importer asks for, or def.
func DefaultOverlap(imp poll.Importer, def time.Duration) time.Duration {
	if d, ok := imp.(interface{ DefaultOverlap() time.Duration }); ok {
		return d.DefaultOverlap()
	}
	return def
}

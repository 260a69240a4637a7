package poll

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Tool names a job may poll.
const (
	ToolGitHub      = "github"
	ToolGitLab      = "gitlab"
	ToolBitbucket   = "bitbucket"
	ToolAzureDevOps = "azure-devops"
	ToolServiceNow  = "servicenow"
	ToolJira        = "jira"
	// ToolHelix polls BMC Helix ITSM (incidents and changes).
	ToolHelix = "bmchelix"
	// ToolCherwell polls Cherwell Service Management (incidents and
	// change requests).
	ToolCherwell = "cherwell"
	// ToolGeneric polls any JSON REST endpoint through a declarative
	// mapping (BMC Helix ITSM, Ivanti Neurons, Cherwell, home-made tools).
	ToolGeneric = "generic"
)

// Tools lists the tool names, in the order of the documentation.
func Tools() []string {
	return []string{ToolGitHub, ToolGitLab, ToolBitbucket, ToolAzureDevOps, ToolServiceNow, ToolJira, ToolHelix, ToolCherwell, ToolGeneric}
}

// Config is the polling section of the configuration file:
//
//	polling:
//	  checkpoint_dir: ./data/checkpoints
//	  jobs:
//	    - name: checkout-github
//	      tool: github
//	      schedule: "*/15 * * * *"
//	      repo: acme/checkout
//	      since: 2026-01-01
//	      credentials: {token: "${GITHUB_TOKEN}"}
//	      options: {deploy_workflows: ["deploy*"]}
type Config struct {
	// CheckpointDir holds one checkpoint file per job (default: the
	// application's choice, <data>/checkpoints).
	CheckpointDir string `yaml:"checkpoint_dir"`
	// Jobs are run on their schedules.
	Jobs []Job `yaml:"jobs"`
}

// Job is one polled source.
type Job struct {
	// Name identifies the job in checkpoints, logs and metrics.
	Name string `yaml:"name"`
	// Tool is one of Tools().
	Tool string `yaml:"tool"`
	// Schedule is a cron expression ("*/15 * * * *", five fields, UTC) or
	// a descriptor ("@hourly", "@every 10m").
	Schedule string `yaml:"schedule"`
	// Repo is the repository: owner/repo (GitHub), group/project (GitLab),
	// workspace/repo (Bitbucket), organization/project/repo (Azure DevOps).
	Repo string `yaml:"repo"`
	// Project narrows Jira to one project key.
	Project string `yaml:"project"`
	// Instance is the site of ServiceNow, Jira or a generic tool
	// (https://acme.service-now.com, https://acme.atlassian.net).
	Instance string `yaml:"instance"`
	// BaseURL overrides the API root of a delivery tool (GitHub Enterprise
	// https://github.example.com/api/v3, GitLab self-managed
	// https://gitlab.example.com/api/v4, Azure DevOps Server).
	BaseURL string `yaml:"base_url"`
	// Since is how far back the first run reads: a date, an RFC 3339
	// time, or a duration back from the first run ("90d"). Default 90d.
	Since Since `yaml:"since"`
	// Overlap is re-read before the last run's start (default: 24h for
	// delivery tools, whose commits are dated when written rather than
	// pushed; 10m for ITSM tools).
	Overlap Duration `yaml:"overlap"`
	// Credentials, usually "${ENV}" references.
	Credentials Credentials `yaml:"credentials"`
	// Options are the tool's own settings (see poll/SOURCES.md), decoded
	// strictly by the tool's importer.
	Options yaml.Node `yaml:"options"`
}

// Credentials for a job. Which fields a tool needs is in poll/SOURCES.md.
type Credentials struct {
	Token        string `yaml:"token"`
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	TokenURL     string `yaml:"token_url"`
}

// String never shows a secret.
func (c Credentials) String() string { return "credentials(redacted)" }

// GoString never shows a secret.
func (c Credentials) GoString() string { return c.String() }

// LogValue never shows a secret.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Since is a fixed time or a duration back from now.
type Since struct {
	At  time.Time
	Ago time.Duration
}

// DefaultSince is used when a job gives none.
const DefaultSince = 90 * 24 * time.Hour

// ParseSince reads "2026-01-01", an RFC 3339 time or a duration ("90d",
// "720h").
func ParseSince(s string) (Since, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Since{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return Since{At: t.UTC()}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return Since{At: t}, nil
	}
	if d, err := ParseDuration(s); err == nil {
		if d <= 0 {
			return Since{}, fmt.Errorf("%q must be a positive duration", s)
		}
		return Since{Ago: d}, nil
	}
	return Since{}, fmt.Errorf("%q is not a date (2026-01-01), an RFC 3339 time or a duration (90d)", s)
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Since) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSince(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// IsZero says whether no since was given.
func (s Since) IsZero() bool { return s.At.IsZero() && s.Ago == 0 }

// Time resolves s at now (DefaultSince back when s is zero).
func (s Since) Time(now time.Time) time.Time {
	switch {
	case !s.At.IsZero():
		return s.At
	case s.Ago > 0:
		return now.Add(-s.Ago).UTC()
	}
	return now.Add(-DefaultSince).UTC()
}

// Duration is a time.Duration written as "24h", "10m" or "7d".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads Go durations and whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n && days >= 0 && days <= 36500 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (like 7d, 24h or 10m)", s)
	}
	return v, nil
}

var (
	jobNameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
	projectKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// CronParser is the schedule syntax: five fields or a descriptor.
func CronParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// Validate checks the section; errors name the key
// ("polling.jobs[1].schedule: ..."). The options of each job are checked
// by the tool's importer when it is built (poll/sources.Validate).
func (c *Config) Validate() error {
	if c == nil {
		return nil
	}
	names := map[string]int{}
	for i, j := range c.Jobs {
		key := fmt.Sprintf("polling.jobs[%d]", i)
		if err := j.Validate(key); err != nil {
			return err
		}
		if prev, dup := names[j.Name]; dup {
			return fmt.Errorf("%s.name: %q is already the name of polling.jobs[%d]", key, j.Name, prev)
		}
		names[j.Name] = i
	}
	return nil
}

// Validate checks one job; key is its place in the file
// ("polling.jobs[0]") and prefixes every error.
func (j Job) Validate(key string) error {
	if !jobNameRE.MatchString(j.Name) {
		return fmt.Errorf("%s.name: %q must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit", key, j.Name)
	}
	if !contains(Tools(), j.Tool) {
		return fmt.Errorf("%s.tool: %q is not one of %s", key, j.Tool, strings.Join(Tools(), ", "))
	}
	if strings.TrimSpace(j.Schedule) == "" {
		return fmt.Errorf("%s.schedule: required (a cron expression like \"*/15 * * * *\" or \"@every 15m\")", key)
	}
	if _, err := CronParser().Parse(j.Schedule); err != nil {
		return fmt.Errorf("%s.schedule: %q: %v", key, j.Schedule, err)
	}
	return j.ValidateTarget(key)
}

// ValidateTarget checks the fields that say what to read and how to log
// in, without the schedule: the import command uses it for one-off jobs.
func (j Job) ValidateTarget(key string) error {
	if time.Duration(j.Overlap) < 0 {
		return fmt.Errorf("%s.overlap: must not be negative", key)
	}
	if !j.Since.At.IsZero() && j.Since.At.After(time.Now().Add(24*time.Hour)) {
		return fmt.Errorf("%s.since: %s is in the future", key, j.Since.At.Format(time.RFC3339))
	}
	if j.BaseURL != "" {
		if err := checkURL(j.BaseURL); err != nil {
			return fmt.Errorf("%s.base_url: %v", key, err)
		}
	}
	if j.Instance != "" {
		if err := checkURL(j.Instance); err != nil {
			return fmt.Errorf("%s.instance: %v", key, err)
		}
	}
	cr := j.Credentials
	switch j.Tool {
	case ToolGitHub:
		if err := repoParts(j.Repo, 2, 2, "owner/repo"); err != nil {
			return fmt.Errorf("%s.repo: %v", key, err)
		}
	case ToolGitLab:
		if err := repoParts(j.Repo, 2, 20, "group/project or group/subgroup/project"); err != nil {
			return fmt.Errorf("%s.repo: %v", key, err)
		}
		if cr.Token == "" {
			return fmt.Errorf("%s.credentials.token: required (a GitLab access token with read_api)", key)
		}
	case ToolBitbucket:
		if err := repoParts(j.Repo, 2, 2, "workspace/repo"); err != nil {
			return fmt.Errorf("%s.repo: %v", key, err)
		}
		if cr.Token == "" && (cr.Username == "" || cr.Password == "") {
			return fmt.Errorf("%s.credentials.token: required, or username and password (an app password or API token)", key)
		}
	case ToolAzureDevOps:
		if err := repoParts(j.Repo, 3, 3, "organization/project/repo"); err != nil {
			return fmt.Errorf("%s.repo: %v", key, err)
		}
		if cr.Token == "" {
			return fmt.Errorf("%s.credentials.token: required (a personal access token with Code, Build and Release read)", key)
		}
	case ToolServiceNow:
		if j.Instance == "" {
			return fmt.Errorf("%s.instance: required (https://<name>.service-now.com)", key)
		}
		oauth := cr.ClientID != "" || cr.ClientSecret != ""
		switch {
		case oauth && (cr.ClientID == "" || cr.ClientSecret == ""):
			return fmt.Errorf("%s.credentials.client_secret: OAuth needs client_id and client_secret", key)
		case !oauth && (cr.Username == "" || cr.Password == ""):
			return fmt.Errorf("%s.credentials.password: required with username (basic auth), or set client_id and client_secret (OAuth)", key)
		case cr.Username != "" && cr.Password == "":
			return fmt.Errorf("%s.credentials.password: required with username", key)
		}
	case ToolJira:
		if j.Instance == "" {
			return fmt.Errorf("%s.instance: required (https://<site>.atlassian.net or your Jira Data Center URL)", key)
		}
		if cr.Token == "" && cr.Password == "" {
			return fmt.Errorf("%s.credentials.token: required (an API token with username = your e-mail on Jira Cloud; a personal access token alone on Data Center)", key)
		}
		if j.Project != "" && !projectKeyRE.MatchString(j.Project) {
			return fmt.Errorf("%s.project: %q is not a Jira project key", key, j.Project)
		}
	case ToolGeneric:
		if j.Instance == "" {
			return fmt.Errorf("%s.instance: required (the tool's base URL)", key)
		}
		if j.Options.Kind == 0 {
			return fmt.Errorf("%s.options: required (path, items and mapping; see poll/SOURCES.md)", key)
		}
	}
	if cr.TokenURL != "" {
		if err := checkURL(cr.TokenURL); err != nil {
			return fmt.Errorf("%s.credentials.token_url: %v", key, err)
		}
	}
	return nil
}

// OverlapOr returns the job's overlap, or def when it sets none.
func (j Job) OverlapOr(def time.Duration) time.Duration {
	if j.Overlap != 0 {
		return time.Duration(j.Overlap)
	}
	return def
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// DecodeOptions decodes the job's options into v strictly (an unknown key
// is an error); key prefixes errors ("polling.jobs[0].options"). Keys
// absent from the file leave v's fields as they were, so v may carry
// defaults.
func (j Job) DecodeOptions(key string, v any) error {
	if j.Options.Kind == 0 {
		return nil
	}
	b, err := yaml.Marshal(&j.Options)
	if err != nil {
		return fmt.Errorf("%s: %v", key, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
		msg = unknownFieldRE.ReplaceAllString(msg, "unknown key $1")
		msg = strings.Join(strings.Fields(msg), " ")
		return fmt.Errorf("%s: %s", key, msg)
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", redactURL(s))
	}
	if u.User != nil {
		return errors.New("must not carry credentials; use credentials")
	}
	if u.RawQuery != "" {
		return errors.New("must not have a query string")
	}
	return nil
}

func repoParts(repo string, minParts, maxParts int, form string) error {
	if repo == "" {
		return fmt.Errorf("required (%s)", form)
	}
	parts := strings.Split(repo, "/")
	if len(parts) < minParts || len(parts) > maxParts {
		return fmt.Errorf("%q must look like %s", repo, form)
	}
	for _, p := range parts {
		if strings.TrimSpace(p) == "" || strings.TrimSpace(p) != p {
			return fmt.Errorf("%q must look like %s (no empty or padded parts)", repo, form)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/alerting"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/sources"
	"github.com/throughline/throughline/reports"
)

// Config is the whole file. Zero values mean the defaults below.
type Config struct {
	// ClickHouse is a clickhouse:// DSN; empty means the embedded engine.
	ClickHouse string `yaml:"clickhouse"`
	// ClickHouseCluster names the cluster (remote_servers) whose replicated
	// schema Throughline creates and uses; empty for a single server.
	ClickHouseCluster string `yaml:"clickhouse_cluster"`
	// Data is the directory for the embedded engine and the spool.
	Data string `yaml:"data"`
	// Listen is the HTTP address.
	Listen string `yaml:"listen"`
	// APITokens are accepted as "Authorization: Bearer <token>" on /api and
	// /webhooks. With none, the server only listens on loopback.
	APITokens []string `yaml:"api_tokens"`
	// MaxBodyBytes caps request bodies (default 10 MiB); larger get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MetricsWindow is the rolling window exported on /metrics (default 720h).
	MetricsWindow Duration `yaml:"metrics_window"`
	// MetricsRefresh is how often /metrics measures are recomputed
	// (default and minimum 1m).
	MetricsRefresh Duration        `yaml:"metrics_refresh"`
	Catalog        metrics.Catalog `yaml:"catalog"`
	// IncidentLinkWindow: an incident opened without an explicit deployment
	// link is linked to the latest successful production deployment of the
	// same service at most this long before it (default 1h; "0s" disables).
	IncidentLinkWindow *Duration `yaml:"incident_link_window"`
	// Sources configures the native webhooks and custom mappings.
	Sources Sources `yaml:"sources"`
	// Polling lists the API polling jobs (incremental imports on a cron
	// schedule).
	Polling poll.Config `yaml:"polling"`
	// Alerting configures predictive alerts, receivers and runbook triggers.
	Alerting alerting.Config `yaml:"alerting"`
	// Reports configures scheduled executive reports and their delivery.
	Reports reports.Config `yaml:"reports"`
}

// Duration is a time.Duration written as "30d", "720h" or "15m".
type Duration time.Duration

// UnmarshalYAML accepts Go durations plus a "d" (day) unit.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses Go durations and whole days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		var n int
		if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && n > 0 && fmt.Sprintf("%dd", n) == s {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (like 30d, 12h or 15m)", s)
	}
	return v, nil
}

// Defaults for unset values.
const (
	DefaultListen       = "127.0.0.1:8080"
	DefaultData         = "./data"
	DefaultMaxBodyBytes = 10 << 20
	DefaultWindow       = 30 * 24 * time.Hour
	MinRefresh          = time.Minute
)

// envRE matches ${NAME} references.
var envRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Load reads and validates a file. An empty path gives the defaults.
func Load(path string) (*Config, error) {
	if path == "" {
		c := &Config{}
		c.applyDefaults()
		return c, c.Validate()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes strictly, expands ${NAME} from the environment (a missing
// variable is an error), applies defaults and validates.
func Parse(r io.Reader) (*Config, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, err
	}
	// Expand ${NAME} everywhere but in comments, so flow style works
	// (api_tokens: [${TOKEN}]) and a commented-out reference needs no
	// variable. Quote values whose secrets may hold YAML syntax.
	var missing []string
	expanded := expandEnv(raw, func(name string) string {
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("environment variable %s is referenced but not set", strings.Join(missing, ", "))
	}
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Data == "" {
		c.Data = DefaultData
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MetricsWindow == 0 {
		c.MetricsWindow = Duration(DefaultWindow)
	}
	if c.IncidentLinkWindow == nil {
		d := Duration(time.Hour)
		c.IncidentLinkWindow = &d
	}
	if c.MetricsRefresh == 0 {
		c.MetricsRefresh = Duration(MinRefresh)
	}
}

// Validate checks every section; errors name the key.
func (c *Config) Validate() error {
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max_body_bytes: %d is below the minimum of 1024", c.MaxBodyBytes)
	}
	if time.Duration(c.MetricsWindow) < time.Hour {
		return fmt.Errorf("metrics_window: %s is shorter than 1h", time.Duration(c.MetricsWindow))
	}
	if time.Duration(c.MetricsRefresh) < MinRefresh {
		return fmt.Errorf("metrics_refresh: %s is below the minimum of 1m (measures are not recomputed per scrape)", time.Duration(c.MetricsRefresh))
	}
	if c.IncidentLinkWindow != nil && (*c.IncidentLinkWindow < 0 || time.Duration(*c.IncidentLinkWindow) > 7*24*time.Hour) {
		return fmt.Errorf("incident_link_window: %s is outside 0..7d", time.Duration(*c.IncidentLinkWindow))
	}
	for i, t := range c.APITokens {
		if len(t) < 16 {
			return fmt.Errorf("api_tokens[%d]: a token must be at least 16 characters", i)
		}
	}
	if c.ClickHouse != "" && !strings.HasPrefix(c.ClickHouse, "clickhouse://") && !strings.HasPrefix(c.ClickHouse, "tcp://") {
		return errors.New("clickhouse: must be a clickhouse://user:pass@host:9000/db DSN")
	}
	if err := c.Catalog.Validate(); err != nil {
		return err
	}
	if _, _, err := c.Sources.Webhooks(); err != nil {
		return err
	}
	if err := sources.Validate(&c.Polling, c.PollSources()); err != nil {
		return err
	}
	if err := c.Alerting.Validate(); err != nil {
		return err
	}
	if err := c.Reports.Validate(); err != nil {
		return err
	}
	return nil
}

// PollSources gives the polling importers the same tool options as the
// webhooks, so polled and pushed facts map alike.
func (c *Config) PollSources() sources.Options {
	var o sources.Options
	if s := c.Sources.GitHub; s != nil {
		o.GitHub = *s
	}
	if s := c.Sources.GitLab; s != nil {
		o.GitLab = *s
	}
	if s := c.Sources.Bitbucket; s != nil {
		o.Bitbucket = *s
	}
	if s := c.Sources.AzureDevOps; s != nil {
		o.AzureDevOps = *s
	}
	if s := c.Sources.ServiceNow; s != nil {
		o.ServiceNow = *s
	}
	if s := c.Sources.Jira; s != nil {
		o.Jira = *s
	}
	return o
}

// expandEnv replaces ${NAME} outside comments. A comment starts at a #
// at the start of a line or after a blank, outside quotes.
func expandEnv(raw []byte, lookup func(string) string) []byte {
	lines := strings.SplitAfter(string(raw), "\n")
	var b strings.Builder
	for _, line := range lines {
		cut := commentStart(line)
		b.WriteString(envRE.ReplaceAllStringFunc(line[:cut], func(m string) string {
			return lookup(envRE.FindStringSubmatch(m)[1])
		}))
		b.WriteString(line[cut:])
	}
	return []byte(b.String())
}

func commentStart(line string) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		}
	}
	return len(line)
}

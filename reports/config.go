package reports

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
)

// Config is the `reports:` section of the configuration file. It is
// decoded strictly by the config package (unknown keys are errors) after
// ${NAME} references are replaced from the environment, so the SMTP
// password and webhook URLs can stay out of the file.
//
//	reports:
//	  base_url: https://throughline.example.com   # links in webhooks and emails
//	  smtp: {host: smtp.example.com, port: 587, tls: starttls,
//	         username: reports, password: "${SMTP_PASSWORD}", from: "Throughline <reports@example.com>"}
//	  schedules:
//	    - name: exec-weekly
//	      cron: "0 7 * * MON"            # or "CRON_TZ=Europe/London 0 7 * * MON"
//	      time_zone: Europe/London
//	      audience: executives
//	      scope: org                     # portfolio:X, product:X, team:X, service:X
//	      period: last-week              # last-month, last-quarter, last-Nd
//	      email: {to: [cto@example.com]}
//	      webhooks: [{url: "${SLACK_WEBHOOK_URL}", format: slack}]
//	      directory: {path: /srv/reports, formats: [html, pdf]}
type Config struct {
	// BaseURL is where Throughline is reached (https://throughline.example.com):
	// webhook messages and emails link to BaseURL/api/v1/reports/{name}.
	BaseURL string `yaml:"base_url"`
	// Chromium is the browser that prints PDFs (default: /usr/bin/chromium,
	// else chromium, chromium-browser or google-chrome on the PATH).
	Chromium  string     `yaml:"chromium"`
	SMTP      SMTPConfig `yaml:"smtp"`
	Schedules []Schedule `yaml:"schedules"`
}

// SMTPConfig is the mail server the email deliveries use.
type SMTPConfig struct {
	Host string `yaml:"host"`
	// Port defaults to 587 with STARTTLS, 465 with TLS and 25 with none.
	Port int `yaml:"port"`
	// TLS is "starttls" (the default: plain connection upgraded, and the
	// upgrade required), "tls" (TLS from the first byte, SMTPS) or "none"
	// (only for a relay on the same host or network).
	TLS string `yaml:"tls"`
	// Username and Password authenticate (never over an unencrypted
	// connection); empty means no authentication.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Auth is the mechanism: "plain" (default) or "login" (Office 365).
	Auth string `yaml:"auth"`
	// From is the sender, e.g. "Throughline <reports@example.com>".
	From string `yaml:"from"`
	// CAFile is a PEM bundle to trust instead of the system roots (a
	// private mail relay).
	CAFile string `yaml:"ca_file"`
}

// Schedule is one scheduled report: when, for whom, what, and where it goes.
type Schedule struct {
	// Name identifies the schedule in the API (/api/v1/reports/{name}) and in
	// file names: lower-case letters, digits, - and _.
	Name string `yaml:"name"`
	// Cron is a five-field cron expression or a descriptor (@weekly,
	// @monthly, @daily), optionally prefixed by CRON_TZ=<zone>.
	Cron string `yaml:"cron"`
	// TimeZone is an IANA zone (Europe/London) for the cron expression and
	// for the report's days; default UTC. It may be given in Cron instead.
	TimeZone string `yaml:"time_zone"`
	// Audience is who the report is for, shown on it ("executives").
	Audience string `yaml:"audience"`
	// Title defaults to "Engineering performance: <scope>".
	Title string `yaml:"title"`
	// Scope is org (default), portfolio:X, product:X, team:X or service:X.
	Scope string `yaml:"scope"`
	// Period is last-week (default), last-month, last-quarter or last-Nd,
	// counted in whole days of TimeZone before the run.
	Period    string           `yaml:"period"`
	Email     *EmailTarget     `yaml:"email"`
	Webhooks  []WebhookTarget  `yaml:"webhooks"`
	Directory *DirectoryTarget `yaml:"directory"`
}

// EmailTarget sends the report by email: the HTML as the body (with a
// plain-text alternative) and the PDF attached.
type EmailTarget struct {
	To []string `yaml:"to"`
	Cc []string `yaml:"cc"`
	// Subject defaults to the title and the period.
	Subject string `yaml:"subject"`
	// AttachPDF defaults to true.
	AttachPDF *bool `yaml:"attach_pdf"`
}

// WebhookTarget posts a short message with the headline and a link.
type WebhookTarget struct {
	URL string `yaml:"url"`
	// Format is "slack" (default; Slack incoming webhooks and anything
	// taking {"text": ...}), "teams" (an Adaptive Card, as Teams workflows
	// take) or "json" (the summary as plain JSON).
	Format string `yaml:"format"`
}

// DirectoryTarget writes the report's files to a directory.
type DirectoryTarget struct {
	Path string `yaml:"path"`
	// Formats default to [html, pdf].
	Formats []string `yaml:"formats"`
}

// Formats a report renders to.
const (
	FormatHTML     = "html"
	FormatPDF      = "pdf"
	FormatMarkdown = "md"
	FormatJSON     = "json"
)

// Formats lists every format, in the order files are written.
var Formats = []string{FormatJSON, FormatHTML, FormatMarkdown, FormatPDF}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// reservedNames would collide with the API's own paths or the ad hoc runs.
var reservedNames = map[string]bool{"runs": true, "adhoc": true}

// Validate checks the section; every error names the key, as
// reports.schedules[2].cron.
func (c *Config) Validate() error {
	if c.BaseURL != "" {
		if err := checkHTTPURL(c.BaseURL); err != nil {
			return fmt.Errorf("reports.base_url: %w", err)
		}
	}
	needMail := false
	names := map[string]int{}
	for i, s := range c.Schedules {
		key := fmt.Sprintf("reports.schedules[%d]", i)
		if err := s.validate(key); err != nil {
			return err
		}
		if j, dup := names[s.Name]; dup {
			return fmt.Errorf("%s.name: %q is already the name of reports.schedules[%d]", key, s.Name, j)
		}
		names[s.Name] = i
		if s.Email != nil {
			needMail = true
		}
	}
	return c.SMTP.validate("reports.smtp", needMail)
}

func (s Schedule) validate(key string) error {
	if !nameRE.MatchString(s.Name) {
		return fmt.Errorf("%s.name: %q must be 1-63 lower-case letters, digits, - or _, starting with a letter or digit", key, s.Name)
	}
	if reservedNames[s.Name] {
		return fmt.Errorf("%s.name: %q is reserved (it is an API path); choose another", key, s.Name)
	}
	if _, err := parseCron(s.Cron, s.TimeZone); err != nil {
		var tzErr *zoneError
		if errors.As(err, &tzErr) && tzErr.field == "time_zone" {
			return fmt.Errorf("%s.time_zone: %w", key, err)
		}
		return fmt.Errorf("%s.cron: %w", key, err)
	}
	if _, err := ParseScope(orDefault(s.Scope, "org")); err != nil {
		return fmt.Errorf("%s.scope: %w", key, err)
	}
	if _, err := ParsePeriod(orDefault(s.Period, "last-week")); err != nil {
		return fmt.Errorf("%s.period: %w", key, err)
	} else if p, _ := ParsePeriod(orDefault(s.Period, "last-week")); !p.Relative() {
		return fmt.Errorf("%s.period: a schedule needs a relative period (last-week, last-month, last-quarter, last-Nd), not fixed dates", key)
	}
	if e := s.Email; e != nil {
		if len(e.To)+len(e.Cc) == 0 {
			return fmt.Errorf("%s.email.to: name at least one recipient", key)
		}
		for j, a := range e.To {
			if _, err := mail.ParseAddress(a); err != nil {
				return fmt.Errorf("%s.email.to[%d]: %q is not an email address", key, j, a)
			}
		}
		for j, a := range e.Cc {
			if _, err := mail.ParseAddress(a); err != nil {
				return fmt.Errorf("%s.email.cc[%d]: %q is not an email address", key, j, a)
			}
		}
		if strings.ContainsAny(e.Subject, "\r\n") {
			return fmt.Errorf("%s.email.subject: must be one line", key)
		}
	}
	for j, w := range s.Webhooks {
		if err := checkHTTPURL(w.URL); err != nil {
			// The URL is often a secret (Slack's carry a token): not echoed.
			return fmt.Errorf("%s.webhooks[%d].url: %w", key, j, err)
		}
		switch w.Format {
		case "", "slack", "teams", "json":
		default:
			return fmt.Errorf("%s.webhooks[%d].format: %q is not slack, teams or json", key, j, w.Format)
		}
	}
	if d := s.Directory; d != nil {
		if d.Path == "" {
			return fmt.Errorf("%s.directory.path: required", key)
		}
		for j, f := range d.Formats {
			if !isFormat(f) {
				return fmt.Errorf("%s.directory.formats[%d]: %q is not html, pdf, md or json", key, j, f)
			}
		}
	}
	return nil
}

func (m SMTPConfig) validate(key string, needed bool) error {
	if m.Host == "" {
		if needed {
			return fmt.Errorf("%s.host: a schedule sends email, so set the SMTP server", key)
		}
		return nil
	}
	switch m.TLS {
	case "", "starttls", "tls", "none":
	default:
		return fmt.Errorf("%s.tls: %q is not starttls, tls or none", key, m.TLS)
	}
	if m.Port < 0 || m.Port > 65535 {
		return fmt.Errorf("%s.port: %d is not a TCP port", key, m.Port)
	}
	switch m.Auth {
	case "", "plain", "login":
	default:
		return fmt.Errorf("%s.auth: %q is not plain or login", key, m.Auth)
	}
	if m.Username != "" && m.TLS == "none" {
		return fmt.Errorf("%s.tls: none would send the password in clear; use starttls or tls", key)
	}
	if m.Password != "" && m.Username == "" {
		return fmt.Errorf("%s.username: required with a password", key)
	}
	if m.From == "" {
		return fmt.Errorf("%s.from: required (the sender address)", key)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return fmt.Errorf("%s.from: %q is not an email address", key, m.From)
	}
	return nil
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http:// or https:// URL")
	}
	return nil
}

func isFormat(f string) bool {
	for _, x := range Formats {
		if x == f {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// attachPDF says whether the email carries the PDF.
func (e *EmailTarget) attachPDF() bool { return e.AttachPDF == nil || *e.AttachPDF }

// formats of a directory delivery.
func (d *DirectoryTarget) formats() []string {
	if len(d.Formats) == 0 {
		return []string{FormatHTML, FormatPDF}
	}
	return d.Formats
}

package reports

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// decode reads a reports section the way the config package does:
// strictly, under a reports: key.
func decode(s string) (*Config, error) {
	var f struct {
		Reports Config `yaml:"reports"`
	}
	dec := yaml.NewDecoder(bytes.NewReader([]byte(s)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &f.Reports, f.Reports.Validate()
}

const goodConfig = `
reports:
  base_url: https://throughline.example.com
  smtp: {host: smtp.example.com, port: 587, tls: starttls, username: reports, password: pw, from: "Throughline <reports@example.com>"}
  schedules:
    - name: exec-weekly
      cron: "0 7 * * MON"
      time_zone: Europe/London
      audience: executives
      scope: org
      period: last-week
      email: {to: [cto@example.com], cc: ["VP <vp@example.com>"], attach_pdf: true}
      webhooks: [{url: "https://hooks.slack.com/services/T/B/X", format: slack}, {url: "https://example.webhook.office.com/x", format: teams}]
      directory: {path: /srv/reports, formats: [html, pdf, md, json]}
    - name: payments-monthly
      cron: "CRON_TZ=America/New_York 0 8 1 * *"
      scope: team:payments
      period: last-month
      webhooks: [{url: "http://chat.internal/hook", format: json}]
`

func TestConfig(t *testing.T) {
	c, err := decode(goodConfig)
	if err != nil {
		t.Fatalf("good config: %v", err)
	}
	if len(c.Schedules) != 2 || !c.Schedules[0].Email.attachPDF() || c.Schedules[1].Period != "last-month" {
		t.Fatalf("decoded %+v", c)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown key", "audience: executives", "audiences: executives", "field audiences not found"},
		{"bad cron", `cron: "0 7 * * MON"`, `cron: "0 7 * *"`, "reports.schedules[0].cron:"},
		{"bad zone", "time_zone: Europe/London", "time_zone: Europe/Londres", "reports.schedules[0].time_zone:"},
		{"zones disagree", `"CRON_TZ=America/New_York 0 8 1 * *"`, `"CRON_TZ=America/New_York 0 8 1 * *"` + "\n      time_zone: UTC", "reports.schedules[1].time_zone: \"UTC\" disagrees"},
		{"bad name", "name: exec-weekly", "name: Exec Weekly", "reports.schedules[0].name:"},
		{"reserved name", "name: exec-weekly", "name: runs", "reports.schedules[0].name: \"runs\" is reserved"},
		{"duplicate name", "name: payments-monthly", "name: exec-weekly", "reports.schedules[1].name: \"exec-weekly\" is already"},
		{"bad scope", "scope: team:payments", "scope: squad:payments", "reports.schedules[1].scope:"},
		{"bad period", "period: last-month", "period: fortnightly", "reports.schedules[1].period:"},
		{"fixed period", "period: last-month", "period: 2026-01-01..2026-01-31", "reports.schedules[1].period: a schedule needs a relative period"},
		{"bad email", "to: [cto@example.com]", "to: [cto]", "reports.schedules[0].email.to[0]:"},
		{"no recipient", "to: [cto@example.com], cc: [\"VP <vp@example.com>\"]", "to: []", "reports.schedules[0].email.to: name at least one"},
		{"bad webhook", "url: \"http://chat.internal/hook\"", "url: \"chat.internal/hook\"", "reports.schedules[1].webhooks[0].url:"},
		{"bad webhook format", "format: teams", "format: discord", "reports.schedules[0].webhooks[1].format:"},
		{"bad directory format", "formats: [html, pdf, md, json]", "formats: [html, docx]", "reports.schedules[0].directory.formats[1]:"},
		{"no directory path", "path: /srv/reports, ", "", "reports.schedules[0].directory.path: required"},
		{"email without SMTP", "host: smtp.example.com, ", "", "reports.smtp.host: a schedule sends email"},
		{"no sender", `, from: "Throughline <reports@example.com>"`, "", "reports.smtp.from: required"},
		{"password in clear", "tls: starttls", "tls: none", "reports.smtp.tls: none would send the password in clear"},
		{"bad tls", "tls: starttls", "tls: ssl", "reports.smtp.tls:"},
		{"bad base URL", "base_url: https://throughline.example.com", "base_url: throughline", "reports.base_url:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(goodConfig, tc.from) {
				t.Fatalf("the good config has no %q", tc.from)
			}
			_, err := decode(strings.Replace(goodConfig, tc.from, tc.to, 1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("webhook URL not echoed", func(t *testing.T) {
		_, err := decode(strings.Replace(goodConfig, "https://hooks.slack.com/services/T/B/X", "hooks.slack.com/services/T/B/SECRET", 1))
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("got %v: the error must not show the URL", err)
		}
	})
}

func FuzzConfig(f *testing.F) {
	f.Add(goodConfig)
	f.Add("reports: {schedules: [{name: a, cron: '@weekly'}]}")
	f.Add("reports: {schedules: [{name: a, cron: 'CRON_TZ=Europe/London'}]}")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decode(s)
		if err != nil {
			return
		}
		// A valid section compiles into a scheduler's plans.
		for i, sc := range c.Schedules {
			if _, err := parseCron(sc.Cron, sc.TimeZone); err != nil {
				t.Fatalf("schedule %d passed Validate but does not compile: %v", i, err)
			}
		}
	})
}

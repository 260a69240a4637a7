package config

import (
	"os"
	"testing"
)

// TestExampleConfig keeps deploy/throughline.example.yaml valid.
func TestExampleConfig(t *testing.T) {
	for _, v := range []string{"THROUGHLINE_TOKEN", "GITHUB_WEBHOOK_SECRET", "PAGERDUTY_WEBHOOK_SECRET",
		"SERVICENOW_WEBHOOK_PASSWORD", "GITHUB_TOKEN", "SERVICENOW_PASSWORD", "SMTP_PASSWORD",
		"ALERT_WEBHOOK_SECRET", "RUNDECK_TOKEN"} {
		t.Setenv(v, "example-secret-value-0123456789")
	}
	t.Setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T000/B000/XXXX")
	t.Setenv("ALERT_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	f, err := os.Open("../deploy/throughline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Polling.Jobs) != 2 || len(c.Alerting.Rules) != 2 || len(c.Reports.Schedules) != 1 {
		t.Fatalf("sections not read: %+v", c)
	}
}

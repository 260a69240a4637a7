package alerting

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/queries/chtest"
)

// FuzzAlertmanagerReceiver posts arbitrary bodies to the Alertmanager
// receiver: it must never panic, and must answer 200 or a 4xx, never a 5xx
// (the sink accepts everything, so a 5xx would be a bug).
func FuzzAlertmanagerReceiver(f *testing.F) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, s := range []string{
		amNotification("firing", "Down", "checkout", start, "fp1"),
		amNotification("resolved", "Down", "checkout", start, "fp1"),
		amNotification("firing", "", "", start, ""),
		`{"version":"4","alerts":[]}`,
		`{"version":"3","alerts":[{"status":"firing"}]}`,
		`{"version":"4","alerts":[{"status":"firing","labels":{"severity":"critical"},"startsAt":"bad"}]}`,
		`{"version":"4","alerts":[{"status":"pending","startsAt":"2026-12-01T09:00:00Z"}]}`,
		`{"version":"4","alerts":null}`,
		`[]`, `null`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	st := chtest.NewStore(f, chtest.Embedded(f))
	s := &sink{}
	e, err := New(Options{Store: st, DataDir: f.TempDir(), Sink: s.put, Config: Config{
		Alertmanager: Alertmanager{OpenIncidents: true},
		Triggers: []Trigger{{Name: "t", Match: map[string]string{"severity": "critical"},
			Action: ActionSpec{Type: ActionWebhook, URL: "http://127.0.0.1:1/"}, Guardrails: Guardrails{DryRun: true}}},
	}})
	if err != nil {
		f.Fatal(err)
	}
	srv := apiServer(f, e)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := http.Post(srv.URL+"/api/v1/alerts/webhook", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
	})
}

package alerting

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/queries/chtest"
)

// flaky fails each message's first attempt (500), lets the second time
// out, answers the third with 429 and Retry-After, and takes the fourth.
func flaky(n int) reply {
	switch n {
	case 1:
		return reply{status: http.StatusInternalServerError}
	case 2:
		return reply{hang: true}
	case 3:
		return reply{status: http.StatusTooManyRequests, retryAfter: "1"}
	}
	return reply{status: http.StatusOK}
}

func runEngine(t *testing.T, e *Engine) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// TestDeliveryAcrossRestart is the acceptance test of delivery: receivers
// fail, time out and answer 429 with Retry-After before they take a
// message, and the engine is replaced by a new one over the same data
// directory and store in the middle. Every notification must reach every
// receiver, none twice once acknowledged; every request must carry a valid
// Standard Webhooks signature; the runbook must not run twice within its
// cooldown.
func TestDeliveryAcrossRestart(t *testing.T) {
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			st := eng.Store
			now := time.Now().UTC()
			for _, svc := range []string{"checkout", "ledger"} {
				loadEvents(t, st, deployments(svc, now, 10, func(i int) bool { return i%2 == 0 }))
			}
			am := newHook(t, testSecret, flaky)
			ce := newHook(t, testSecret, flaky)
			rb := newHook(t, testSecret, nil)
			cfg := Config{
				Rules: []Rule{{Name: "cfr-high", Kind: KindThreshold, Measure: "change_failure_rate",
					Op: ">", Threshold: ptr(0.15), Severity: "critical"}},
				Receivers: []Receiver{
					{Name: "am", URL: am.srv.URL + "/hook", Secret: testSecret},
					{Name: "ce", Type: "cloudevents", URL: ce.srv.URL + "/events", Secret: testSecret},
				},
				Triggers: []Trigger{{Name: "restart", Match: map[string]string{"alertname": "cfr-high"},
					Action:     ActionSpec{Type: ActionWebhook, URL: rb.srv.URL + "/run", Secret: testSecret},
					Guardrails: Guardrails{Cooldown: Duration(time.Hour)}}},
				Delivery: Delivery{Timeout: Duration(300 * time.Millisecond), InitialBackoff: Duration(20 * time.Millisecond),
					MaxBackoff: Duration(2 * time.Second)},
			}
			dir := t.TempDir()
			opts := Options{Store: st, Computer: computer(t, st), Config: cfg, DataDir: dir, PollInterval: 10 * time.Millisecond}

			e1, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			stop := runEngine(t, e1)
			// Stop the first engine mid-way: each receiver has refused or
			// lost at least one attempt, and not everything is delivered.
			waitFor(t, "failed attempts at both receivers", func() bool {
				_, na, _ := am.snapshot()
				_, nc, _ := ce.snapshot()
				return na >= 2 && nc >= 2
			})
			stop()
			if e1.Pending() == 0 {
				t.Fatal("everything was delivered before the restart: the test would prove nothing")
			}
			if _, err := os.Stat(filepath.Join(dir, "state.json")); err != nil {
				t.Fatalf("state not saved: %v", err)
			}

			opts.Registry = nil
			e2, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			stop = runEngine(t, e2)
			waitFor(t, "the outbox to empty", func() bool { return e2.Pending() == 0 })

			// An Alertmanager alert on a target the runbook just ran on must
			// be held by the cooldown, which the new engine remembers.
			srv := apiServer(t, e2)
			code, body := post(t, srv.URL+"/api/v1/alerts/webhook", amNotification("firing", "cfr-high", "checkout", time.Now().Add(-time.Minute), "am-fp-1"))
			if code != http.StatusOK {
				t.Fatalf("webhook: %d %s", code, body)
			}
			stop()

			for _, h := range []*hook{am, ce} {
				acks, total, bad := h.snapshot()
				if len(bad) > 0 {
					t.Errorf("signatures that do not verify: %v", bad)
				}
				if len(acks) != 2 {
					t.Errorf("receiver acknowledged %d notifications, want 2 (one per service): %v", len(acks), acks)
				}
				for id, n := range acks {
					if n != 1 {
						t.Errorf("notification %s acknowledged %d times, want once", id, n)
					}
				}
				if total < 8 {
					t.Errorf("receiver saw %d attempts, want at least 8 (4 per message)", total)
				}
			}
			acks, total, bad := rb.snapshot()
			if len(bad) > 0 {
				t.Errorf("runbook signatures that do not verify: %v", bad)
			}
			if total != 2 || len(acks) != 2 {
				t.Errorf("runbook called %d times for %d actions, want once per service (2)", total, len(acks))
			}
			targets := map[string]int{}
			for _, b := range rb.bodies {
				var m struct {
					Target string `json:"target"`
				}
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				targets[m.Target]++
			}
			if targets["checkout"] != 1 || targets["ledger"] != 1 {
				t.Errorf("runbook targets %v, want checkout and ledger once each", targets)
			}
			var cooled bool
			for _, a := range e2.Actions() {
				if a.State == ActionSuppressed && strings.HasPrefix(a.Reason, "cooldown:") && a.Target == "checkout" {
					cooled = true
				}
			}
			if !cooled {
				t.Errorf("the second alert on checkout was not held by the cooldown: %+v", e2.Actions())
			}

			// The audit trail and delivery log are in ClickHouse.
			recs, err := e2.Audit(context.Background(), AuditQuery{From: now.Add(-time.Hour), To: time.Now().Add(time.Hour), Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, r := range recs {
				count[r.Event]++
			}
			if count["notification.delivered"] != 4 || count["alert.firing"] != 3 || count["action.delivered"] != 2 || count["action.suppressed"] != 1 {
				t.Errorf("audit counts %v: want 4 notifications delivered, 3 alerts firing, 2 actions delivered, 1 suppressed", count)
			}
			dels, err := e2.Deliveries(context.Background(), DeliveryQuery{From: now.Add(-time.Hour), To: time.Now().Add(time.Hour), Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			outcomes := map[string]int{}
			for _, d := range dels {
				outcomes[d.Outcome]++
			}
			if outcomes["delivered"] != 6 || outcomes["retry"] < 6 {
				t.Errorf("delivery log outcomes %v: want 6 delivered and at least 6 retries", outcomes)
			}
		})
	}
}

// TestDeadLetter gives up on a receiver that never answers well, after
// dead_letter_after, and keeps the message for a person.
func TestDeadLetter(t *testing.T) {
	st := chtest.NewStore(t, chtest.Embedded(t))
	always500 := newHook(t, "", func(int) reply { return reply{status: http.StatusBadGateway} })
	dir := t.TempDir()
	e, err := New(Options{Store: st, DataDir: dir, PollInterval: 10 * time.Millisecond, Config: Config{
		Receivers: []Receiver{{Name: "broken", URL: always500.srv.URL}},
		Delivery:  Delivery{InitialBackoff: Duration(10 * time.Millisecond), MaxBackoff: Duration(50 * time.Millisecond), DeadLetterAfter: Duration(300 * time.Millisecond)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	a := &Alert{Fingerprint: "fp", Rule: "r", Source: "rule", State: StateFiring, Labels: map[string]string{"alertname": "r"},
		StartsAt: timePtr(time.Now().UTC())}
	e.st.Alerts["fp"] = a
	e.notifyLocked(a, time.Now().UTC(), "")
	e.mu.Unlock()
	stop := runEngine(t, e)
	waitFor(t, "the dead letter", func() bool { return e.Pending() == 0 })
	stop()
	dead, _ := filepath.Glob(filepath.Join(dir, "outbox", "dead", "*.json"))
	if len(dead) != 1 {
		t.Fatalf("dead letters %v, want 1", dead)
	}
	_, total, _ := always500.snapshot()
	if total < 2 {
		t.Errorf("%d attempts before giving up, want several", total)
	}
	recs, err := e.Audit(context.Background(), AuditQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Event: "notification.dead", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !strings.Contains(recs[0].Detail, "HTTP 502") {
		t.Errorf("audit of the dead letter: %+v", recs)
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	for n := 1; n <= 12; n++ {
		want := min(100*time.Millisecond<<(n-1), 2*time.Second)
		for range 50 {
			d := backoff(100*time.Millisecond, 2*time.Second, n)
			if d < want/2 || d > want {
				t.Fatalf("backoff attempt %d = %s, want in [%s, %s]", n, d, want/2, want)
			}
		}
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		give string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {" 0 ", 0}, {"-1", 0}, {"soon", 0},
		{"Tue, 01 Dec 2026 10:00:30 GMT", 30 * time.Second},
		{"Tue, 01 Dec 2026 09:00:00 GMT", 0},
	} {
		if got := parseRetryAfter(tc.give, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tc.give, got, tc.want)
		}
	}
}

func TestSignMatchesStandardWebhooks(t *testing.T) {
	// The example of the Standard Webhooks specification's reference
	// libraries: secret, id, timestamp and payload give this signature.
	key, err := decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	body := []byte(`{"test": 2432232314}`)
	sign(h, key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	if got, want := h.Get("webhook-signature"), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	if err := verifyStandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, body, time.Unix(1614265330, 0)); err != nil {
		t.Error(err)
	}
	if err := verifyStandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, append(body, ' '), time.Unix(1614265330, 0)); err == nil {
		t.Error("a changed body verified")
	}
}

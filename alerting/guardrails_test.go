package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries/chtest"
)

// amNotification is an Alertmanager v4 notification of one alert.
func amNotification(status, alertname, service string, startsAt time.Time, fp string) string {
	ends := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		ends = startsAt.Add(10 * time.Minute).UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=%[2]s}","status":%[1]q,"receiver":"throughline",
"groupLabels":{"alertname":%[2]q},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093",
"alerts":[{"status":%[1]q,"labels":{"alertname":%[2]q,"service":%[3]q,"severity":"critical"},
"annotations":{"summary":"%[3]s is failing"},"startsAt":%[4]q,"endsAt":%[5]q,"generatorURL":"http://prom/graph","fingerprint":%[6]q}]}`,
		status, alertname, service, startsAt.UTC().Format(time.RFC3339), ends, fp)
}

// guardrailEnv is an engine on a fake clock with one trigger and a
// runbook receiver, driven through the API.
type guardrailEnv struct {
	t     *testing.T
	e     *Engine
	clock *testClock
	api   string
	rb    *hook
	seq   int
	sink  *sink
}

type sink struct {
	mu     sync.Mutex
	events []ingest.Event
}

func (s *sink) put(_ context.Context, evs []ingest.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, evs...)
	return nil
}

func newGuardrailEnv(t *testing.T, g Guardrails, mutate func(*Config)) *guardrailEnv {
	t.Helper()
	st := chtest.NewStore(t, chtest.Embedded(t))
	rb := newHook(t, "", nil)
	clock := newClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	cfg := Config{
		Triggers: []Trigger{{Name: "restart", Match: map[string]string{"severity": "critical"},
			Action: ActionSpec{Type: ActionWebhook, URL: rb.srv.URL}, Guardrails: g}},
		Delivery: Delivery{InitialBackoff: Duration(10 * time.Millisecond)},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s := &sink{}
	e, err := New(Options{Store: st, Config: cfg, DataDir: t.TempDir(), Clock: clock.Now, Sink: s.put, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &guardrailEnv{t: t, e: e, clock: clock, api: apiServer(t, e).URL, rb: rb, sink: s}
}

// fire sends a firing alert for service and returns its fingerprint.
func (g *guardrailEnv) fire(name, service string) string {
	g.t.Helper()
	g.seq++
	fp := fmt.Sprintf("fp-%s-%s-%d", name, service, g.seq)
	g.send("firing", name, service, g.clock.Now(), fp)
	return fp
}

func (g *guardrailEnv) send(status, name, service string, starts time.Time, fp string) {
	g.t.Helper()
	code, body := post(g.t, g.api+"/api/v1/alerts/webhook", amNotification(status, name, service, starts, fp))
	if code != http.StatusOK {
		g.t.Fatalf("webhook: %d %s", code, body)
	}
}

// action returns the one action on fp.
func (g *guardrailEnv) action(fp string) Action {
	g.t.Helper()
	var found []Action
	for _, a := range g.e.Actions() {
		if a.Fingerprint == fp {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		g.t.Fatalf("actions on %s: %+v, want one", fp, found)
	}
	return found[0]
}

func (g *guardrailEnv) wantState(fp, state, reason string) Action {
	g.t.Helper()
	a := g.action(fp)
	if a.State != state || !strings.Contains(a.Reason, reason) {
		g.t.Fatalf("action on %s is %s (%q), want %s (%q)", fp, a.State, a.Reason, state, reason)
	}
	return a
}

func TestGuardrailDedupe(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{}, nil)
	start := g.clock.Now()
	g.send("firing", "Down", "checkout", start, "fp1")
	g.wantState("fp1", ActionSent, "")
	// Alertmanager repeats the notification every group_interval.
	g.clock.Advance(5 * time.Minute)
	g.send("firing", "Down", "checkout", start, "fp1")
	g.wantState("fp1", ActionSent, "")
	// It forgot the alert (a restart) and sends it with a new start while
	// the first action has no outcome yet: the same fingerprint is not
	// acted on twice.
	g.clock.Advance(5 * time.Minute)
	g.send("firing", "Down", "checkout", g.clock.Now(), "fp1")
	var states []string
	for _, a := range g.e.Actions() {
		states = append(states, a.State+": "+a.Reason)
	}
	if len(states) != 2 || !strings.Contains(strings.Join(states, "|"), "duplicate: action") {
		t.Errorf("actions %v, want the second suppressed as a duplicate", states)
	}

	off := newGuardrailEnv(t, Guardrails{Dedupe: ptr(false)}, nil)
	off.send("firing", "Down", "checkout", off.clock.Now(), "fp1")
	off.clock.Advance(time.Minute)
	off.send("firing", "Down", "checkout", off.clock.Now(), "fp1")
	sent := 0
	for _, a := range off.e.Actions() {
		if a.State == ActionSent {
			sent++
		}
	}
	if sent != 2 {
		t.Errorf("with dedupe off, %d actions sent, want 2", sent)
	}
}

func TestGuardrailPendingFor(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{PendingFor: Duration(5 * time.Minute)}, nil)
	fp := g.fire("Down", "checkout")
	g.wantState(fp, ActionPending, "")
	g.clock.Advance(4 * time.Minute)
	g.e.Tick()
	g.wantState(fp, ActionPending, "")
	g.clock.Advance(time.Minute)
	g.e.Tick()
	g.wantState(fp, ActionSent, "")

	// An alert that clears within pending_for never runs the action.
	starts := g.clock.Now()
	fp2 := "fp-clears"
	g.send("firing", "Down", "ledger", starts, fp2)
	g.clock.Advance(2 * time.Minute)
	g.send("resolved", "Down", "ledger", starts, fp2)
	g.clock.Advance(10 * time.Minute)
	g.e.Tick()
	g.wantState(fp2, ActionCancelled, "cleared")
}

func TestGuardrailCooldownPerTarget(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{Cooldown: Duration(time.Hour)}, nil)
	first := g.fire("Down", "checkout")
	g.wantState(first, ActionSent, "")
	g.clock.Advance(10 * time.Minute)
	g.wantState(g.fire("Slow", "checkout"), ActionSuppressed, "cooldown: ran on checkout")
	g.wantState(g.fire("Down", "ledger"), ActionSent, "") // another target
	g.clock.Advance(50 * time.Minute)
	g.wantState(g.fire("Errors", "checkout"), ActionSent, "")
}

func TestGuardrailRateLimits(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{MaxPerHour: 2, MaxPerDay: 3}, nil)
	g.wantState(g.fire("Down", "a"), ActionSent, "")
	g.wantState(g.fire("Down", "b"), ActionSent, "")
	g.wantState(g.fire("Down", "c"), ActionSuppressed, "2 runs in the last hour (max_per_hour 2)")
	g.clock.Advance(61 * time.Minute)
	g.wantState(g.fire("Down", "d"), ActionSent, "")
	g.clock.Advance(61 * time.Minute)
	g.wantState(g.fire("Down", "e"), ActionSuppressed, "3 runs in the last 24 hours (max_per_day 3)")
	g.clock.Advance(23 * time.Hour)
	g.wantState(g.fire("Down", "f"), ActionSent, "")
}

func TestGuardrailApproval(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{Approval: true, ApprovalTimeout: Duration(time.Hour)}, nil)
	fp := g.fire("Down", "checkout")
	a := g.wantState(fp, ActionAwaitingApproval, "")
	url := g.api + "/api/v1/alerts/actions/" + a.ID

	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"no approver", "/approve", `{}`, http.StatusBadRequest},
		{"blank approver", "/approve", `{"approver":"  "}`, http.StatusBadRequest},
		{"unknown field", "/approve", `{"approver":"alice","role":"admin"}`, http.StatusBadRequest},
		{"not json", "/approve", `alice`, http.StatusBadRequest},
	} {
		if code, body := post(t, url+tc.path, tc.body); code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
		}
	}
	if code, _ := post(t, g.api+"/api/v1/alerts/actions/nope/approve", `{"approver":"alice"}`); code != http.StatusNotFound {
		t.Errorf("unknown action: %d, want 404", code)
	}
	if _, total, _ := g.rb.snapshot(); total != 0 {
		t.Fatalf("the runbook ran before approval")
	}
	code, body := post(t, url+"/approve", `{"approver":"alice","comment":"go"}`)
	if code != http.StatusOK {
		t.Fatalf("approve: %d %s", code, body)
	}
	a = g.wantState(fp, ActionSent, "")
	if a.ApprovedBy != "alice" {
		t.Errorf("approved by %q, want alice", a.ApprovedBy)
	}
	if code, _ := post(t, url+"/approve", `{"approver":"bob"}`); code != http.StatusConflict {
		t.Errorf("approving twice: %d, want 409", code)
	}

	denied := g.fire("Down", "ledger")
	d := g.wantState(denied, ActionAwaitingApproval, "")
	if code, body := post(t, g.api+"/api/v1/alerts/actions/"+d.ID+"/deny", `{"approver":"carol","comment":"not now"}`); code != http.StatusOK {
		t.Fatalf("deny: %d %s", code, body)
	}
	if d = g.wantState(denied, ActionDenied, "not now"); d.DeniedBy != "carol" {
		t.Errorf("denied by %q, want carol", d.DeniedBy)
	}

	expires := g.fire("Down", "search")
	g.clock.Advance(61 * time.Minute)
	g.e.Tick()
	g.wantState(expires, ActionExpired, "nobody approved")

	// The audit trail names who decided.
	recs, err := g.e.Audit(context.Background(), AuditQuery{From: g.clock.Now().Add(-24 * time.Hour), To: g.clock.Now().Add(time.Hour), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]string{}
	for _, r := range recs {
		if r.Event == "action.approved" || r.Event == "action.denied" {
			actors[r.Event] = r.Actor
		}
	}
	if actors["action.approved"] != "alice" || actors["action.denied"] != "carol" {
		t.Errorf("audit actors %v, want alice approved and carol denied", actors)
	}
}

func TestGuardrailDryRun(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{DryRun: true, Cooldown: Duration(time.Hour)}, nil)
	stop := runEngine(t, g.e)
	defer stop()
	fp := g.fire("Down", "checkout")
	g.wantState(fp, ActionDryRun, "")
	// A dry run counts towards the cooldown, as a real run would.
	g.wantState(g.fire("Slow", "checkout"), ActionSuppressed, "cooldown")
	if g.e.Pending() != 0 {
		t.Errorf("a dry run queued a request")
	}
	if _, total, _ := g.rb.snapshot(); total != 0 {
		t.Errorf("a dry run called the runbook %d times", total)
	}
}

func TestGuardrailKillSwitch(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{}, nil)
	// A call already queued when the switch is engaged never goes out.
	queued := g.fire("Down", "checkout")
	g.wantState(queued, ActionSent, "")
	if code, body := post(t, g.api+"/api/v1/alerts/killswitch", `{"engaged":true,"by":"dave","reason":"incident review"}`); code != http.StatusOK {
		t.Fatalf("engage: %d %s", code, body)
	}
	stop := runEngine(t, g.e)
	waitFor(t, "the queued call to be dropped", func() bool { return g.e.Pending() == 0 })
	g.wantState(queued, ActionSuppressed, "kill switch")
	g.wantState(g.fire("Down", "ledger"), ActionSuppressed, "kill switch engaged")
	code, body := get(t, g.api+"/api/v1/alerts/killswitch")
	if code != http.StatusOK || !strings.Contains(body, `"engaged":true`) || !strings.Contains(body, `"by":"dave"`) {
		t.Errorf("kill switch: %d %s", code, body)
	}
	if code, _ := post(t, g.api+"/api/v1/alerts/killswitch", `{"engaged":false}`); code != http.StatusBadRequest {
		t.Errorf("release without by: %d, want 400", code)
	}
	if code, body := post(t, g.api+"/api/v1/alerts/killswitch", `{"engaged":false,"by":"dave"}`); code != http.StatusOK {
		t.Fatalf("release: %d %s", code, body)
	}
	after := g.fire("Down", "search")
	waitFor(t, "the runbook call", func() bool {
		_, n, _ := g.rb.snapshot()
		return n == 1
	})
	stop()
	g.wantState(after, ActionDelivered, "")

	// A kill switch in the configuration cannot be released by the API.
	cfgOn := newGuardrailEnv(t, Guardrails{}, func(c *Config) { c.KillSwitch = true })
	cfgOn.wantState(cfgOn.fire("Down", "checkout"), ActionSuppressed, "kill switch")
	if code, _ := post(t, cfgOn.api+"/api/v1/alerts/killswitch", `{"engaged":false,"by":"eve"}`); code != http.StatusConflict {
		t.Errorf("releasing the configured kill switch: %d, want 409", code)
	}
}

// TestOutcomes records runbook outcomes by callback and by the alert
// clearing, and counts an automated resolution of an incident.
func TestOutcomes(t *testing.T) {
	g := newGuardrailEnv(t, Guardrails{ResolveWithin: Duration(30 * time.Minute)}, func(c *Config) {
		c.Alertmanager = Alertmanager{OpenIncidents: true}
	})
	stop := runEngine(t, g.e)
	defer stop()

	// Callback: the runbook says it worked; the incident the alert opened
	// is resolved as automated.
	starts := g.clock.Now()
	g.send("firing", "Down", "checkout", starts, "fp-cb")
	a := g.action("fp-cb")
	if code, body := post(t, g.api+"/api/v1/alerts/runbooks/callback", `{"action_id":"nope","status":"success"}`); code != http.StatusNotFound {
		t.Errorf("unknown action: %d %s", code, body)
	}
	if code, body := post(t, g.api+"/api/v1/alerts/runbooks/callback", `{"action_id":"`+a.ID+`","status":"maybe"}`); code != http.StatusBadRequest {
		t.Errorf("bad status: %d %s", code, body)
	}
	code, body := post(t, g.api+"/api/v1/alerts/runbooks/callback", `{"action_id":"`+a.ID+`","status":"success","detail":"pod restarted","by":"rundeck"}`)
	if code != http.StatusOK {
		t.Fatalf("callback: %d %s", code, body)
	}
	if a = g.action("fp-cb"); a.Outcome != "success" || a.Detail != "pod restarted" {
		t.Errorf("outcome %q %q", a.Outcome, a.Detail)
	}
	var resolved []ingest.Event
	g.sink.mu.Lock()
	for _, ev := range g.sink.events {
		if ev.Type == ingest.TypeIncidentResolved {
			resolved = append(resolved, ev)
		}
	}
	opened := 0
	for _, ev := range g.sink.events {
		if ev.Type == ingest.TypeIncidentOpened {
			opened++
		}
	}
	g.sink.mu.Unlock()
	if opened != 1 || len(resolved) != 1 || !resolved[0].Automated || resolved[0].Attributes["runbook"] != "restart" {
		t.Errorf("incident events: %d opened, resolved %+v; want one opened and one automated resolution", opened, resolved)
	}

	// The alert clears within resolve_within: resolved by the action.
	s2 := g.clock.Now()
	g.send("firing", "Down", "ledger", s2, "fp-clear")
	g.clock.Advance(10 * time.Minute)
	g.send("resolved", "Down", "ledger", s2, "fp-clear")
	if a := g.action("fp-clear"); a.Outcome != "resolved" {
		t.Errorf("outcome after clearing %q, want resolved", a.Outcome)
	}

	// It does not clear in time: unresolved.
	g.send("firing", "Down", "search", g.clock.Now(), "fp-stuck")
	g.clock.Advance(31 * time.Minute)
	g.e.Tick()
	if a := g.action("fp-stuck"); a.Outcome != "unresolved" {
		t.Errorf("outcome when the alert stays %q, want unresolved", a.Outcome)
	}

	code, body = get(t, g.api+"/api/v1/alerts?state=firing")
	var list struct {
		Alerts []alertView `json:"alerts"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("alerts: %d %s", code, body)
	}
	if len(list.Alerts) != 2 || len(list.Alerts[0].Actions) != 1 {
		t.Errorf("firing alerts with actions: %+v", list.Alerts)
	}
}

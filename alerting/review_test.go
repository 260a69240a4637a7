package alerting

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/queries"
)

// bareEngine is an engine without a store behind it: enough for the
// outbox, delivery attempts and the alert state machine.
func bareEngine(t *testing.T, cfg Config, clock func() time.Time) *Engine {
	t.Helper()
	e, err := New(Options{Store: &queries.Store{}, Config: cfg, DataDir: t.TempDir(), Clock: clock, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestNextWaitsForTheHead: while a receiver's oldest job backs off, its
// later jobs (due long ago) do not make the delivery loop wake at once.
func TestNextWaitsForTheHead(t *testing.T) {
	e := bareEngine(t, Config{Receivers: []Receiver{{Name: "r", URL: "http://127.0.0.1:1"}}}, nil)
	now := time.Now().UTC()
	for _, id := range []string{"a", "b", "c"} {
		if err := e.outbox.add(job{ID: id, Kind: KindNotification, Target: "r", Body: []byte("{}"), Created: now, Due: now}); err != nil {
			t.Fatal(err)
		}
	}
	head := e.outbox.due(now)[0]
	head.Due = now.Add(time.Hour) // its attempt failed: back off
	if err := e.outbox.retry(head); err != nil {
		t.Fatal(err)
	}
	if next := e.outbox.next(); !next.Equal(head.Due) {
		t.Errorf("next %v, want the head's %v (the later jobs wait behind it)", next, head.Due)
	}
}

// TestNoRedirects: a 302 is a failed attempt, not a delivery at the
// address it points to, and the action's token never reaches that host.
func TestNoRedirects(t *testing.T) {
	var hits, token string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits += r.Method + " "
		token += r.Header.Get("St2-Api-Key")
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/x", http.StatusFound)
	}))
	defer first.Close()
	e := bareEngine(t, Config{Receivers: []Receiver{{Name: "r", URL: first.URL}},
		Triggers: []Trigger{{Name: "t", Match: map[string]string{"a": "b"}, Action: ActionSpec{Type: ActionStackStorm, URL: first.URL, Token: "SECRET-TOKEN"}}}}, nil)
	now := time.Now().UTC()
	for _, j := range []job{{ID: "n1", Kind: KindNotification, Target: "r"}, {ID: "a1", Kind: KindAction, Target: "t"}} {
		j.Body, j.Created, j.Due = []byte(`{}`), now, now
		if err := e.outbox.add(j); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range e.outbox.due(now) {
		e.attempt(context.Background(), j)
	}
	if hits != "" || token != "" {
		t.Errorf("the redirect was followed: %q, token %q", hits, token)
	}
	if n := e.outbox.len(); n != 2 {
		t.Errorf("%d jobs left, want both waiting for a retry", n)
	}
}

func TestRetryAfterNeverWraps(t *testing.T) {
	now := time.Now()
	for _, v := range []string{"18446744074", "9223372037", "99999999999999"} {
		if d := parseRetryAfter(v, now); d < 24*time.Hour {
			t.Errorf("Retry-After %s gave %v, want a long wait", v, d)
		}
	}
	if d := parseRetryAfter("120", now); d != 2*time.Minute {
		t.Errorf("Retry-After 120 gave %v", d)
	}
}

// TestResolvedCarriesNoApprovalLinks: an action awaiting approval is
// cancelled when its alert clears, and the resolved notification does not
// offer to approve it.
func TestResolvedCarriesNoApprovalLinks(t *testing.T) {
	clk := newClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := bareEngine(t, Config{Receivers: []Receiver{{Name: "r", URL: "http://127.0.0.1:1"}},
		Triggers: []Trigger{{Name: "t", Match: map[string]string{"alertname": "x"}, Action: ActionSpec{Type: ActionWebhook, URL: "http://127.0.0.1:1"},
			Guardrails: Guardrails{Approval: true}}}}, clk.Now)
	r := Rule{Name: "x", Kind: KindThreshold}
	lbl := map[string]string{"alertname": "x", "service": "s"}
	e.mu.Lock()
	e.applyLocked(r, []observation{{Labels: lbl, Active: true, Value: 1}}, clk.Now())
	clk.Advance(time.Minute)
	e.applyLocked(r, []observation{{Labels: lbl, Active: false, Value: 0}}, clk.Now())
	e.mu.Unlock()
	seen := map[string]bool{}
	for _, j := range e.outbox.jobs {
		var m amMessage
		if err := json.Unmarshal(j.Body, &m); err != nil {
			t.Fatal(err)
		}
		links := false
		for k := range m.CommonAnnotations {
			links = links || strings.HasPrefix(k, "approve_url")
		}
		seen[m.Status] = true
		if m.Status == "firing" && !links {
			t.Error("the firing notification lacks the approval link")
		}
		if m.Status == "resolved" && links {
			t.Error("the resolved notification offers to approve a cancelled action")
		}
	}
	if !seen["firing"] || !seen["resolved"] {
		t.Errorf("notifications %v, want firing and resolved", seen)
	}
}

// TestPagerDutyResolveOncePerEpisode: an alert that fires and clears twice
// resolves each episode's PagerDuty incident once.
func TestPagerDutyResolveOncePerEpisode(t *testing.T) {
	clk := newClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := bareEngine(t, Config{Triggers: []Trigger{{Name: "pd", Match: map[string]string{"alertname": "x"},
		Action: ActionSpec{Type: ActionPagerDuty, URL: "http://127.0.0.1:1", RoutingKey: "k"}}}}, clk.Now)
	r := Rule{Name: "x", Kind: KindThreshold}
	lbl := map[string]string{"alertname": "x", "service": "s"}
	for ep := 1; ep <= 2; ep++ {
		e.mu.Lock()
		e.applyLocked(r, []observation{{Labels: lbl, Active: true, Value: 1}}, clk.Now())
		clk.Advance(30 * time.Minute)
		e.applyLocked(r, []observation{{Labels: lbl, Active: false}}, clk.Now())
		e.mu.Unlock()
		resolves := 0
		for seq, j := range e.outbox.jobs {
			if strings.HasSuffix(j.ID, "_resolve") {
				resolves++
			}
			delete(e.outbox.jobs, seq)
		}
		if resolves != 1 {
			t.Errorf("episode %d: %d PagerDuty resolves queued, want 1", ep, resolves)
		}
		clk.Advance(time.Hour)
	}
}

// TestGoneIsDeadAtOnce: 410 Gone dead-letters the job on the first attempt.
func TestGoneIsDeadAtOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer srv.Close()
	e := bareEngine(t, Config{Receivers: []Receiver{{Name: "r", URL: srv.URL}}}, nil)
	now := time.Now().UTC()
	if err := e.outbox.add(job{ID: "n1", Kind: KindNotification, Target: "r", Body: []byte(`{}`), Created: now, Due: now}); err != nil {
		t.Fatal(err)
	}
	e.attempt(context.Background(), e.outbox.due(now)[0])
	if n := e.outbox.len(); n != 0 {
		t.Errorf("%d jobs still queued after 410 Gone", n)
	}
	if len(e.st.Deliveries) == 0 || e.st.Deliveries[len(e.st.Deliveries)-1].Outcome != "dead" {
		t.Errorf("deliveries %+v, want the last one dead", e.st.Deliveries)
	}
}

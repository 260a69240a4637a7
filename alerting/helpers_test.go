package alerting

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testSecret is a Standard Webhooks secret (32 bytes).
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// verifyStandardWebhook checks a request the way a Standard Webhooks
// receiver does, written from the specification independently of sign().
func verifyStandardWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %v", ts, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is outside the tolerance", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Split(sigs, " ") {
		v, sig, ok := strings.Cut(s, ",")
		if ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no signature matches")
}

// reply is what a test receiver answers to an attempt: a status, a hang
// until the sender gives up, and a Retry-After.
type reply struct {
	status     int
	hang       bool
	retryAfter string
}

// hook is a test receiver: it answers each message's attempts by script
// (by the attempt's number for that webhook-id), checks every signature
// and counts acknowledgements.
type hook struct {
	tb     testing.TB
	secret string
	script func(attempt int) reply

	mu       sync.Mutex
	attempts map[string]int
	acks     map[string]int
	bodies   map[string][]byte
	paths    []string
	badSigs  []string
	total    int
	srv      *httptest.Server
}

func newHook(tb testing.TB, secret string, script func(int) reply) *hook {
	h := &hook{tb: tb, secret: secret, script: script,
		attempts: map[string]int{}, acks: map[string]int{}, bodies: map[string][]byte{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	tb.Cleanup(h.srv.Close)
	return h
}

func (h *hook) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	h.total++
	h.attempts[id]++
	n := h.attempts[id]
	h.paths = append(h.paths, r.URL.Path)
	if h.secret != "" {
		if err := verifyStandardWebhook(h.secret, r.Header, body, time.Now()); err != nil {
			h.badSigs = append(h.badSigs, id+": "+err.Error())
		}
	}
	h.mu.Unlock()
	rep := reply{status: http.StatusOK}
	if h.script != nil {
		rep = h.script(n)
	}
	if rep.hang {
		<-r.Context().Done() // the sender timed out: no answer, no acknowledgement
		return
	}
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.WriteHeader(rep.status)
	if rep.status >= 200 && rep.status < 300 {
		h.mu.Lock()
		h.acks[id]++
		h.bodies[id] = body
		h.mu.Unlock()
	}
}

func (h *hook) snapshot() (acks map[string]int, total int, bad []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	acks = map[string]int{}
	for k, v := range h.acks {
		acks[k] = v
	}
	return acks, h.total, append([]string(nil), h.badSigs...)
}

// waitFor polls cond until it holds or the deadline passes (a bound on a
// hung test, not a timing assertion).
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// loadEvents writes events through the event store.
func loadEvents(tb testing.TB, st *queries.Store, evs []ingest.Event) {
	tb.Helper()
	for i := range evs {
		evs[i].Normalize()
		if err := evs[i].Validate(); err != nil {
			tb.Fatalf("event %d: %v", i, err)
		}
	}
	if err := eventstore.New(st).Load(context.Background(), evs); err != nil {
		tb.Fatal(err)
	}
}

// deployments makes n production deployments of svc, one a day ending the
// day before end, failing where failed(i) says.
func deployments(svc string, end time.Time, n int, failed func(i int) bool) []ingest.Event {
	var out []ingest.Event
	for i := range n {
		t := end.Add(-time.Duration(n-i)*24*time.Hour + 10*time.Hour)
		outcome := "success"
		if failed(i) {
			outcome = "failure"
		}
		out = append(out, ingest.Event{ID: fmt.Sprintf("%s-d%d", svc, i), Source: "test", Type: ingest.TypeDeploymentFinished,
			Time: t, Subject: fmt.Sprintf("%s-%d", svc, i), Service: svc, Environment: "production", Outcome: outcome})
	}
	return out
}

func computer(tb testing.TB, st *queries.Store) *metrics.Computer {
	tb.Helper()
	c, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &metrics.Catalog{
		ProductionEnvironments: []string{"production"},
		Services: map[string]metrics.Service{
			"checkout": {Team: "payments", Product: "shop"},
			"ledger":   {Team: "money", Product: "finance"},
			"search":   {Team: "discovery", Product: "shop"},
		},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// apiServer serves the engine's Mount the way the server does.
func apiServer(tb testing.TB, e *Engine) *httptest.Server {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	e.Mount().Register(r.Group("/api/v1"))
	srv := httptest.NewServer(r)
	tb.Cleanup(srv.Close)
	return srv
}

func post(tb testing.TB, url, body string) (int, string) {
	tb.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func ptr[T any](v T) *T { return &v }

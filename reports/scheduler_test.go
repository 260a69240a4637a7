package reports

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries/chtest"
	"github.com/throughline/throughline/server"
)

// hookSink records webhook posts; paths under /broken/ answer 500.
type hookSink struct {
	mu    sync.Mutex
	posts map[string][][]byte
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.posts[r.URL.Path] = append(h.posts[r.URL.Path], b)
	h.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/broken/") {
		http.Error(w, "no such channel", http.StatusInternalServerError)
		return
	}
	w.Write([]byte("ok"))
}

func (h *hookSink) last(path string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	ps := h.posts[path]
	if len(ps) == 0 {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(ps[len(ps)-1], &m)
	return m
}

// running is a scheduler started on a fake clock.
type running struct {
	s     *Scheduler
	clock *fakeClock
	runs  chan RunRecord
	stop  func()
}

func startScheduler(t *testing.T, o Options, at time.Time) *running {
	t.Helper()
	clock := newFakeClock(at)
	o.Clock = clock
	s, err := NewScheduler(o)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{s: s, clock: clock, runs: make(chan RunRecord, 10)}
	s.afterRun = func(rec RunRecord) { r.runs <- rec }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	r.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() { cancel() })
	return r
}

// next waits for the next run.
func (r *running) next(t *testing.T) RunRecord {
	t.Helper()
	select {
	case rec := <-r.runs:
		return rec
	case <-time.After(2 * time.Minute):
		t.Fatal("no run came")
	}
	return RunRecord{}
}

// advance moves the clock to at and returns the run it causes.
func (r *running) advance(t *testing.T, at string) RunRecord {
	t.Helper()
	r.clock.drain()
	r.clock.Set(utc(at))
	rec := r.next(t)
	r.clock.waitIdle(t)
	return rec
}

// noMoreRuns checks that nothing ran, once the scheduler sleeps.
func (r *running) noMoreRuns(t *testing.T) {
	t.Helper()
	select {
	case rec := <-r.runs:
		t.Fatalf("unexpected run %s (%s, slot %s)", rec.ID, rec.Trigger, rec.Scheduled)
	default:
	}
}

// TestScheduler runs two schedules on a fake clock through a daylight-
// saving change, a failing webhook, a stop of two weeks and a restart,
// then reads the runs and renderings back through the API.
func TestScheduler(t *testing.T) {
	st := chtest.NewStore(t, chtest.Embedded(t))
	comp := newComputer(t, st)
	sink := &hookSink{posts: map[string][][]byte{}}
	hooks := httptest.NewServer(sink)
	defer hooks.Close()
	outDir, dropDir := t.TempDir(), t.TempDir()
	o := Options{
		Store: st, Computer: comp, OutDir: outDir,
		Config: Config{
			BaseURL: "https://tl.example.com/",
			Schedules: []Schedule{
				{Name: "exec-weekly", Cron: "0 7 * * MON", TimeZone: "Europe/London", Period: "last-week", Audience: "executives",
					Webhooks:  []WebhookTarget{{URL: hooks.URL + "/slack/T0K3N"}, {URL: hooks.URL + "/teams", Format: "teams"}, {URL: hooks.URL + "/json", Format: "json"}},
					Directory: &DirectoryTarget{Path: dropDir, Formats: []string{"md", "json"}}},
				{Name: "ny-daily", Cron: "CRON_TZ=America/New_York 30 2 * * *", Scope: "team:treasury", Period: "last-1d",
					Webhooks: []WebhookTarget{{URL: hooks.URL + "/broken/SECRET-T0K3N"}}},
			},
		},
	}

	// Saturday 7 March 2026; nothing has ever run, so nothing is caught up.
	r := startScheduler(t, o, utc("2026-03-07T12:00:00Z"))
	r.clock.waitIdle(t)
	r.noMoreRuns(t)
	if got := r.s.Next(utc("2026-03-07T12:00:00Z")); !got["ny-daily"].Equal(utc("2026-03-08T07:00:00Z")) || !got["exec-weekly"].Equal(utc("2026-03-09T07:00:00Z")) {
		t.Fatalf("next runs %v", got)
	}

	// 02:30 does not exist in New York on 8 March: the run comes at 03:00 EDT.
	rec := r.advance(t, "2026-03-08T07:00:00Z")
	if rec.Name != "ny-daily" || !rec.Scheduled.Equal(utc("2026-03-08T07:00:00Z")) || rec.Trigger != TriggerSchedule {
		t.Fatalf("run %+v", rec)
	}
	if rec.Outcome != OutcomeFailed || !strings.Contains(rec.Error, "500 Internal Server Error") || strings.Contains(rec.Error, "SECRET") {
		t.Errorf("a run whose only delivery failed: outcome %s, error %q (must name the host, never the URL's token)", rec.Outcome, rec.Error)
	}
	if !rec.From.Equal(utc("2026-03-07T05:00:00Z")) || !rec.To.Equal(utc("2026-03-08T05:00:00Z")) || rec.TimeZone != "America/New_York" {
		t.Errorf("ny-daily covers %s..%s in %s, want Saturday 7 March in New York", rec.From, rec.To, rec.TimeZone)
	}
	// The next day's 02:30 is EDT: 06:30 UTC.
	if rec = r.advance(t, "2026-03-09T06:30:00Z"); rec.Name != "ny-daily" || !rec.Scheduled.Equal(utc("2026-03-09T06:30:00Z")) {
		t.Fatalf("run %+v", rec)
	}
	if !rec.From.Equal(utc("2026-03-08T05:00:00Z")) || !rec.To.Equal(utc("2026-03-09T04:00:00Z")) {
		t.Errorf("the 23-hour Sunday: %s..%s", rec.From, rec.To)
	}

	rec = r.advance(t, "2026-03-09T07:00:00Z")
	if rec.Name != "exec-weekly" || rec.Outcome != OutcomeSuccess || rec.Error != "" {
		t.Fatalf("run %+v", rec)
	}
	if strings.Join(rec.Recipients, ",") != "webhook:"+strings.TrimPrefix(hooks.URL, "http://")+",webhook:"+strings.TrimPrefix(hooks.URL, "http://")+",webhook:"+strings.TrimPrefix(hooks.URL, "http://")+",directory:"+dropDir {
		t.Errorf("recipients %v", rec.Recipients)
	}
	link := "https://tl.example.com/api/v1/reports/exec-weekly?run=exec-weekly-20260309T0700Z"
	checkWebhooks(t, sink, link)
	for _, f := range []string{"md", "json"} {
		b, err := os.ReadFile(filepath.Join(dropDir, "exec-weekly_2026-03-02_2026-03-08."+f))
		if err != nil || !strings.Contains(string(b), "Engineering performance: the organisation") {
			t.Errorf("directory delivery %s: %v", f, err)
		}
	}
	r.stop()

	// Down from Monday 9 March 07:05 until Monday 23 March 09:00: two
	// weekly and fourteen daily slots missed; each schedule runs its
	// latest once, at once.
	r = startScheduler(t, o, utc("2026-03-23T09:00:00Z"))
	got := map[string]RunRecord{}
	for range 2 {
		rec := r.next(t)
		got[rec.Name] = rec
	}
	r.clock.waitIdle(t)
	r.noMoreRuns(t)
	if w := got["exec-weekly"]; w.Trigger != TriggerMissed || !w.Scheduled.Equal(utc("2026-03-23T07:00:00Z")) || !w.From.Equal(utc("2026-03-16T00:00:00Z")) {
		t.Errorf("exec-weekly catch-up %+v", w)
	}
	if d := got["ny-daily"]; d.Trigger != TriggerMissed || !d.Scheduled.Equal(utc("2026-03-23T06:30:00Z")) {
		t.Errorf("ny-daily catch-up %+v", d)
	}
	// Then on schedule again: 30 March 07:00 BST is 06:00 UTC.
	if rec := r.advance(t, "2026-03-24T06:30:00Z"); rec.Name != "ny-daily" {
		t.Errorf("run %+v", rec)
	}
	r.stop()

	// A restart with nothing missed runs nothing.
	r = startScheduler(t, o, utc("2026-03-24T08:00:00Z"))
	r.clock.waitIdle(t)
	r.noMoreRuns(t)
	// The clock jumps six days (a suspended machine): each schedule runs
	// once, ny-daily for its latest slot.
	r.clock.drain()
	r.clock.Set(utc("2026-03-30T06:00:00Z"))
	got = map[string]RunRecord{}
	for range 2 {
		rec := r.next(t)
		got[rec.Name] = rec
	}
	r.clock.waitIdle(t)
	r.noMoreRuns(t)
	// 30 March 07:00 BST is 06:00 UTC; 29 March 02:30 EDT is 06:30 UTC.
	if w := got["exec-weekly"]; w.Trigger != TriggerSchedule || !w.Scheduled.Equal(utc("2026-03-30T06:00:00Z")) || !w.From.Equal(utc("2026-03-23T00:00:00Z")) || !w.To.Equal(utc("2026-03-29T23:00:00Z")) {
		t.Errorf("exec-weekly after the spring change %+v", w)
	}
	if d := got["ny-daily"]; !d.Scheduled.Equal(utc("2026-03-29T06:30:00Z")) {
		t.Errorf("ny-daily after the jump %+v", d)
	}
	r.stop()

	t.Run("API", func(t *testing.T) { checkAPI(t, r.s) })
}

func checkWebhooks(t *testing.T, sink *hookSink, link string) {
	t.Helper()
	slack := sink.last("/slack/T0K3N")
	if slack == nil || !strings.Contains(slack["text"].(string), "<"+link+"|Open the report>") {
		t.Errorf("slack message %v", slack)
	} else if blocks, _ := slack["blocks"].([]any); len(blocks) < 3 || blocks[0].(map[string]any)["type"] != "header" {
		t.Errorf("slack blocks %v", slack["blocks"])
	}
	teams := sink.last("/teams")
	var url any
	if teams != nil && teams["type"] == "message" {
		att := teams["attachments"].([]any)[0].(map[string]any)
		content := att["content"].(map[string]any)
		if att["contentType"] == "application/vnd.microsoft.card.adaptive" && content["type"] == "AdaptiveCard" {
			url = content["actions"].([]any)[0].(map[string]any)["url"]
		}
	}
	if url != link {
		t.Errorf("teams message %v", teams)
	}
	if j := sink.last("/json"); j == nil || j["link"] != link || j["schedule"] != "exec-weekly" || j["scope"] != "org" {
		t.Errorf("json message %v", j)
	}
}

// checkAPI mounts the scheduler on the real server and reads the runs and
// the renderings back.
func checkAPI(t *testing.T, s *Scheduler) {
	st := s.o.Store
	events := eventstore.New(st)
	pipe, err := ingest.NewPipeline(ingest.PipelineOptions{Writer: events, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Pipeline: pipe, Events: events, Measures: s.o.Computer, Mounts: []server.Mount{s.Mount()}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	resp, body := get("/api/v1/reports/runs")
	var all struct{ Runs []RunRecord }
	if err := json.Unmarshal(body, &all); err != nil || resp.StatusCode != 200 {
		t.Fatalf("runs: %d %s", resp.StatusCode, body)
	}
	if len(all.Runs) != 8 {
		t.Fatalf("%d runs recorded, want 8", len(all.Runs))
	}
	for i := 1; i < len(all.Runs); i++ {
		if all.Runs[i].Started.After(all.Runs[i-1].Started) {
			t.Errorf("runs not newest first: %s after %s", all.Runs[i].Started, all.Runs[i-1].Started)
		}
	}
	_, body = get("/api/v1/reports/runs?name=exec-weekly&limit=2")
	var some struct{ Runs []RunRecord }
	_ = json.Unmarshal(body, &some)
	if len(some.Runs) != 2 || some.Runs[0].ID != "exec-weekly-20260330T0600Z" || some.Runs[1].Trigger != TriggerMissed {
		t.Errorf("filtered runs %s", body)
	}

	for _, tc := range []struct {
		path, status, contentType, contains, run string
	}{
		{"/api/v1/reports/exec-weekly", "200", "text/html; charset=utf-8", `<svg class="chart"`, "exec-weekly-20260330T0600Z"},
		{"/api/v1/reports/exec-weekly?format=md", "200", "text/markdown; charset=utf-8", "# Engineering performance", "exec-weekly-20260330T0600Z"},
		{"/api/v1/reports/exec-weekly?format=json", "200", "application/json", `"schedule": "exec-weekly"`, "exec-weekly-20260330T0600Z"},
		{"/api/v1/reports/exec-weekly?format=md&run=exec-weekly-20260309T0700Z", "200", "text/markdown; charset=utf-8", "2–8 Mar 2026", "exec-weekly-20260309T0700Z"},
		// ny-daily kept JSON and HTML only: Markdown is rendered from the JSON.
		{"/api/v1/reports/ny-daily?format=md", "200", "text/markdown; charset=utf-8", "Team treasury", "ny-daily-20260329T0630Z"},
		{"/api/v1/reports/nope", "404", "application/json; charset=utf-8", "(configured: exec-weekly, ny-daily)", ""},
		{"/api/v1/reports/exec-weekly?run=exec-weekly-19990101T0000Z", "404", "application/json; charset=utf-8", "has no run", ""},
		{"/api/v1/reports/exec-weekly?format=docx", "400", "application/json; charset=utf-8", "is not html, pdf, md or json", ""},
		{"/api/v1/reports/runs?limit=0", "400", "application/json; charset=utf-8", "limit", ""},
	} {
		resp, body := get(tc.path)
		if got := resp.Status[:3]; got != tc.status || resp.Header.Get("Content-Type") != tc.contentType || !strings.Contains(string(body), tc.contains) || resp.Header.Get("X-Report-Run") != tc.run {
			t.Errorf("GET %s: %s %s run %q: %.200s", tc.path, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("X-Report-Run"), body)
		}
	}

	// A format the run did not keep is rendered from its JSON, even a PDF.
	needChromium(t)
	if resp, body := get("/api/v1/reports/ny-daily?format=pdf"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(body), "%PDF") {
		t.Errorf("PDF on demand: %s %s %.100q", resp.Status, resp.Header.Get("Content-Type"), body)
	}

	// The OpenAPI document has the mounted paths, and they are the routes.
	_, body = get("/api/v1/openapi.json")
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, r := range srv.Routes() {
		routes[r] = true
	}
	for path, item := range s.Mount().Paths {
		for method := range item.(map[string]any) {
			if !routes[strings.ToUpper(method)+" "+path] {
				t.Errorf("documented %s %s is not a route", method, path)
			}
			if _, ok := doc.Paths[path][method]; !ok {
				t.Errorf("%s %s is not in the served document", method, path)
			}
		}
	}
	for r := range routes {
		if strings.HasPrefix(r, "GET /api/v1/reports") {
			method, path, _ := strings.Cut(r, " ")
			if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
				t.Errorf("route %s is not documented", r)
			}
		}
	}
}

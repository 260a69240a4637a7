package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/config"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/server"
)

// apiToken guards /api and /webhooks, as it must whenever the server listens
// beyond loopback. API clients send it as a bearer token; the tools send it
// as ?token=, since their own signature or credentials take the headers.
const apiToken = "e2e-api-token-5b1d0c9a"

// secrets are the tools' webhook secrets, given to the configuration
// through ${NAME} references as the README tells operators to.
var secrets = map[string]string{
	"THROUGHLINE_API_TOKEN":    apiToken,
	"GITHUB_WEBHOOK_SECRET":    "gh-3c1f9a7e-hook-secret",
	"GITLAB_WEBHOOK_TOKEN":     "gl-8d2e4b6a-hook-token",
	"BITBUCKET_WEBHOOK_SECRET": "bb-1a9c7e5f-hook-secret",
	"AZDO_HOOK_PASSWORD":       "azdo-6f4d2b0e-password",
	"JENKINS_WEBHOOK_TOKEN":    "jenkins-2e8a6c4f-token",
	"CDEVENTS_WEBHOOK_SECRET":  "cde-9b7d5f3a-secret",
	"JIRA_WEBHOOK_SECRET":      "jira-4c2a0e8f-secret",
	"SERVICENOW_PASSWORD":      "snow-7e5c3a1b-password",
	"PAGERDUTY_SIGNING_SECRET": "pd-0f8e6d4c-signing-secret",
}

func secret(name string) string {
	s, ok := secrets[name]
	if !ok {
		panic("e2e: no secret " + name)
	}
	return s
}

// harness is the server as app.Run builds it, over one engine's store,
// behind a real HTTP listener.
type harness struct {
	t   testing.TB
	url string
}

// newHarness parses yamlConfig (api_tokens are added) with config.Parse and
// wires the parts as app.Run does: the configured webhooks, the ingest
// pipeline with the incident linker, the measure computer over the
// configured catalog, and the HTTP server.
func newHarness(t testing.TB, st *queries.Store, yamlConfig string) *harness {
	t.Helper()
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	cfg, err := config.Parse(strings.NewReader("api_tokens: [${THROUGHLINE_API_TOKEN}]\n" + yamlConfig))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	webhooks, custom, err := cfg.Sources.Webhooks()
	if err != nil {
		t.Fatalf("webhooks: %v", err)
	}
	events := eventstore.New(st)
	pipeline, err := ingest.NewPipeline(ingest.PipelineOptions{
		Writer: events, SpoolDir: t.TempDir(), FlushInterval: 5 * time.Millisecond,
		Linker: &eventstore.Linker{Store: st, O: eventstore.LinkOptions{
			Window: time.Duration(*cfg.IncidentLinkWindow), Environments: cfg.Catalog.Environments(),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	computer, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &cfg.Catalog})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Pipeline: pipeline, Events: events, Measures: computer,
		Tokens: cfg.APITokens, MaxBodyBytes: cfg.MaxBodyBytes,
		Webhooks: webhooks, CustomWebhooks: custom,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pipeline.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pipeline: %v", err)
		}
	})
	return &harness{t: t, url: hs.URL}
}

// delivery is one webhook request as the tool sends it.
type delivery struct {
	what   string // for failure messages
	path   string // /webhooks/<source>
	header http.Header
	body   []byte
}

// without returns a copy of d lacking the named header.
func (d delivery) without(name string) delivery {
	d.header = d.header.Clone()
	d.header.Del(name)
	d.what += " without " + name
	return d
}

// post sends d with the API token in the query, as a tool would, and
// returns the status and the decoded JSON answer.
func (h *harness) post(d delivery) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+d.path+"?token="+url.QueryEscape(apiToken), bytes.NewReader(d.body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header = d.header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s: %v", d.what, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatalf("%s: answer %d is not a JSON object: %s", d.what, res.StatusCode, b)
	}
	return res.StatusCode, out
}

// accept posts d and requires 200 with every event accepted, or, for a
// redelivery of a delivery id already stored, its acknowledgement as a
// duplicate.
func (h *harness) accept(d delivery) {
	h.t.Helper()
	status, body := h.post(d)
	if status != http.StatusOK {
		h.t.Fatalf("%s: status %d, want 200: %v", d.what, status, body)
	}
	if dup, _ := body["duplicate"].(bool); dup {
		return
	}
	if n, _ := body["accepted"].(float64); n < 1 {
		h.t.Fatalf("%s: accepted %v events, want at least 1: %v", d.what, body["accepted"], body)
	}
}

// get fetches an API path with the bearer token and decodes the answer.
func (h *harness) get(path string, q url.Values, out any) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+path+"?"+q.Encode(), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s?%s: status %d: %s", path, q.Encode(), res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		h.t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// events lists stored events through GET /api/v1/events.
func (h *harness) events(source, typ string) []ingest.Event {
	h.t.Helper()
	q := url.Values{"limit": {"1000"}}
	if source != "" {
		q.Set("source", source)
	}
	if typ != "" {
		q.Set("type", typ)
	}
	var out struct {
		Events []ingest.Event `json:"events"`
	}
	h.get("/api/v1/events", q, &out)
	return out.Events
}

// measures fetches GET /api/v1/measures for [from, to).
func (h *harness) measures(from, to time.Time, groupBy string) metrics.Report {
	h.t.Helper()
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	if groupBy != "" {
		q.Set("group_by", groupBy)
	}
	var rep metrics.Report
	h.get("/api/v1/measures", q, &rep)
	return rep
}

// checkMeasures compares the measures named in want; the rest of the group
// is not this test's business.
func checkMeasures(t testing.TB, g metrics.Group, want map[string]float64) {
	t.Helper()
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		got, ok := g.Measures[name]
		switch {
		case !ok:
			t.Errorf("group %q: measure %s is not in the answer", g.Key, name)
		case got == nil:
			t.Errorf("group %q: %s = null, want %v", g.Key, name, want[name])
		case math.Abs(*got-want[name]) > 1e-9*math.Max(1, math.Abs(want[name])):
			t.Errorf("group %q: %s = %v, want %v", g.Key, name, *got, want[name])
		}
	}
}

// recorded loads a recorded delivery of testdata/webhooks/<tool>/<name>.json
// (with its .headers file, when there is one) as a JSON document to patch,
// so every field the tool sends and the parser does not read is there too.
func recorded(t testing.TB, tool, name string) (any, http.Header) {
	t.Helper()
	return readDoc(t, filepath.Join("..", "testdata", "webhooks", tool, name+".json")),
		readHeaders(t, filepath.Join("..", "testdata", "webhooks", tool, name+".headers"))
}

func readDoc(t testing.TB, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // ids stay as the tool wrote them
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

func readHeaders(t testing.TB, path string) http.Header {
	t.Helper()
	h := http.Header{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return h
	}
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: header line %q has no colon", path, line)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h
}

// set assigns v at a dotted path ("pull_request.head.sha", "commits.0.id").
// Everything but the last step must exist, so a misspelt path fails the
// test instead of adding a field no parser reads.
func set(t testing.TB, doc any, path string, v any) {
	t.Helper()
	steps := strings.Split(path, ".")
	parent := walk(t, doc, path, steps[:len(steps)-1])
	last := steps[len(steps)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			t.Fatalf("set %s: %q is not an index of an array of %d", path, last, len(p))
		}
		p[i] = v
	default:
		t.Fatalf("set %s: the parent is a %T, not an object or array", path, parent)
	}
}

// get returns the value at a dotted path, which must exist.
func get(t testing.TB, doc any, path string) any {
	t.Helper()
	return walk(t, doc, path, strings.Split(path, "."))
}

func walk(t testing.TB, doc any, path string, steps []string) any {
	t.Helper()
	cur := doc
	for _, s := range steps {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[s]
			if !ok {
				t.Fatalf("path %s: no field %q", path, s)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(c) {
				t.Fatalf("path %s: %q is not an index of an array of %d", path, s, len(c))
			}
			cur = c[i]
		default:
			t.Fatalf("path %s: %q is under a %T", path, s, cur)
		}
	}
	return cur
}

// clone deep-copies a JSON value (to use one recorded commit as the
// template of several).
func clone(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func encode(t testing.TB, doc any) []byte {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hmacHex is the hex HMAC-SHA256 of body under secret, as GitHub, Bitbucket,
// Jira, PagerDuty and Throughline's own X-Throughline-Signature use it.
func hmacHex(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// sha makes a realistic, distinct 40-digit commit id from a name.
func sha(name string) string {
	s := sha1.Sum([]byte(name))
	return hex.EncodeToString(s[:])
}

// at parses an RFC 3339 time; the times of the stories are written out.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Zones the tools write their local times in.
var (
	cet  = time.FixedZone("CET", 60*60)
	cest = time.FixedZone("CEST", 2*60*60)
	pst  = time.FixedZone("PST", -8*60*60)
)

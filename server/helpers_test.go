package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
	"github.com/throughline/throughline/server"
)

func TestMain(m *testing.M) { chtest.Main(m) }

type testServer struct {
	URL      string
	Store    *queries.Store
	Pipeline *ingest.Pipeline
	srv      *server.Server
}

type tsOptions struct {
	tokens   []string
	maxBody  int64
	spoolDir string
	webhooks map[string]ingest.Webhook
}

// newTestServer runs the real HTTP server over a real store, with its
// pipeline, on a loopback port.
func newTestServer(t testing.TB, st *queries.Store, o tsOptions) *testServer {
	t.Helper()
	if o.spoolDir == "" {
		o.spoolDir = t.TempDir()
	}
	es := eventstore.New(st)
	p, err := ingest.NewPipeline(ingest.PipelineOptions{
		Writer: es, SpoolDir: o.spoolDir, FlushInterval: 5 * time.Millisecond,
		WriteTimeout: 3 * time.Second, ReplayInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	comp, err := metrics.NewComputer(metrics.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Options{
		Pipeline: p, Events: es, Measures: comp, Tokens: o.tokens, MaxBodyBytes: o.maxBody,
		Webhooks: o.webhooks, Ready: func(ctx context.Context) error { return st.Engine().Ping(ctx) },
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
	})
	return &testServer{URL: hs.URL, Store: st, Pipeline: p, srv: s}
}

type response struct {
	Status int
	Body   []byte
}

func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.Status, err, r.Body)
	}
	return m
}

func do(t testing.TB, method, url string, body []byte, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Body: b}
}

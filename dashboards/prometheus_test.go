package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/throughline/throughline/alerting"
	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries/chtest"
	"github.com/throughline/throughline/server"
)

// TestPromQLOnRealPrometheus starts Debian's Prometheus scraping a
// Throughline server that serves the demo organisation, and runs every
// PromQL expression of every panel, and every variable's query, through
// Prometheus' HTTP API: each must parse and return data.
func TestPromQLOnRealPrometheus(t *testing.T) {
	bin := need(t, "prometheus", "prometheus")
	st := chtest.NewStore(t, chtest.Server(t))
	loadDemo(t, st, demoEnd, 45)

	// The server as app wires it: the pipeline's, the computer's and the
	// exporter's metrics on one registry, plus the build info.
	reg := prometheus.NewRegistry()
	queryDur := promauto.With(reg).NewHistogramVec(prometheus.HistogramOpts{
		Name: "throughline_query_duration_seconds", Help: "Time to run one measure query.",
	}, []string{"query"})
	promauto.With(reg).NewGaugeFunc(prometheus.GaugeOpts{
		Name: "throughline_build_info", Help: "Always 1.", ConstLabels: prometheus.Labels{"version": "test", "engine": "server"},
	}, func() float64 { return 1 })
	cat := demo.Catalog(demo.Options{})
	comp, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &cat,
		Observe: func(q string, d time.Duration) { queryDur.WithLabelValues(q).Observe(d.Seconds()) }})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := metrics.NewExporter(metrics.ExporterOptions{Computer: comp, Now: func() time.Time { return demoEnd }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := exp.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(exp)
	es := eventstore.New(st)
	pipe, err := ingest.NewPipeline(ingest.PipelineOptions{Writer: es, SpoolDir: t.TempDir(), Registry: reg, FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pipeDone := make(chan struct{})
	go func() { pipe.Run(ctx); close(pipeDone) }()
	defer func() { cancel(); <-pipeDone }()
	// A real alerting engine: a rule that fires for every deploying
	// service, one that waits (pending), a receiver and a dry-run trigger,
	// so the alert panels have data.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer hook.Close()
	zero := 0.0
	alerts, err := alerting.New(alerting.Options{Store: st, Computer: comp, DataDir: t.TempDir(), Registry: reg,
		Clock: func() time.Time { return demoEnd }, PollInterval: 50 * time.Millisecond,
		Config: alerting.Config{
			Rules: []alerting.Rule{
				{Name: "deploying", Kind: alerting.KindThreshold, Measure: "deployment_frequency_per_day", Op: ">", Threshold: &zero, GroupBy: "team"},
				{Name: "deployed", Kind: alerting.KindThreshold, Measure: "deployments", Op: ">", Threshold: &zero, GroupBy: "team", For: alerting.Duration(time.Hour)},
			},
			Receivers: []alerting.Receiver{{Name: "hook", URL: hook.URL}},
			Triggers: []alerting.Trigger{{Name: "restart", Match: map[string]string{"alertname": "deploying"},
				Action: alerting.ActionSpec{Type: "webhook", URL: hook.URL}, Guardrails: alerting.Guardrails{DryRun: true}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := alerts.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	alertsDone := make(chan struct{})
	go func() { alerts.Run(ctx); close(alertsDone) }()
	defer func() { cancel(); <-alertsDone }()
	srv, err := server.New(server.Options{Pipeline: pipe, Events: es, Measures: comp, Gatherer: reg, Mounts: []server.Mount{Mount(Options{})}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	// One accepted and one rejected event, so the ingest counters exist.
	body := `[{"id":"p-1","source":"script","type":"build.finished","time":"2026-11-01T10:00:00Z","subject":"b1","outcome":"success"},{"id":"p-2","source":"script","type":"nope"}]`
	res, err := http.Post(hs.URL+"/api/v1/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("posting events: %s", res.Status)
	}

	prom := startPrometheus(t, bin, strings.TrimPrefix(hs.URL, "http://"))
	// Wait (not a timing assertion: a readiness poll) for three scrapes, so
	// rate(), delta() and increase() have samples to work on.
	prom.waitFor(t, `count_over_time(throughline_build_info[10m]) >= 3`)

	ds := build(t)
	g := grafana{from: demoEnd.Add(-30 * 24 * time.Hour), to: demoEnd, rateInterval: "1m", vars: map[string][]string{}}
	ts := targets(t, ds)
	// Variables first: their queries give the values the panels use, as in
	// Grafana (team, then product, then service, each cascading).
	for _, name := range []string{"team", "product", "service"} {
		var q string
		for _, tg := range ts {
			if tg.Variable && tg.Panel == "variable "+name && tg.Kind == "prometheus" {
				q = tg.Query
			}
		}
		if q == "" {
			t.Fatalf("no %s variable in the dashboards", name)
		}
		vals := prom.labelValues(t, g, q)
		if len(vals) == 0 {
			t.Fatalf("variable %s: %s gives no values", name, q)
		}
		g.vars[name] = vals
	}
	n := 0
	for _, tg := range ts {
		if tg.Kind != "prometheus" || tg.Variable {
			continue
		}
		n++
		t.Run(tg.Dashboard+"/"+tg.Panel, func(t *testing.T) {
			expr, err := g.prometheus(tg.Query)
			if err != nil {
				t.Fatal(err)
			}
			if got := prom.query(t, expr); got == 0 {
				t.Errorf("no data for\n%s", expr)
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d PromQL panels in the dashboards", n)
	}
}

// need finds a command, installing the Debian package that has it when it
// is missing (CI machines start fresh; tests run as root there).
func need(t *testing.T, cmd, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(cmd); err == nil {
		return p
	}
	t.Logf("%s missing: apt-get install %s", cmd, pkg)
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", pkg}} {
		c := exec.Command("apt-get", args...)
		c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	p, err := exec.LookPath(cmd)
	if err != nil {
		t.Fatalf("%s not found after installing %s", cmd, pkg)
	}
	return p
}

type promServer struct{ url string }

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startPrometheus runs Prometheus on a free loopback port scraping target
// every second, with its own data directory; it is stopped when the test
// ends.
func startPrometheus(t *testing.T, bin, target string) *promServer {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: throughline
    static_configs:
      - targets: [%q]
`, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
	})
	p := &promServer{url: "http://" + addr}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("prometheus exited: %v\n%s", err, b)
		default:
		}
		if res, err := http.Get(p.url + "/-/ready"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("prometheus not ready after 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type promResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

type promVector struct {
	ResultType string            `json:"resultType"`
	Result     []json.RawMessage `json:"result"`
}

func (p *promServer) get(t *testing.T, path string, q url.Values) promResponse {
	t.Helper()
	res, err := http.Get(p.url + path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r promResponse
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v: %s", path, err, b)
	}
	if r.Status != "success" {
		t.Fatalf("%s %s: %s: %s", path, q.Get("query"), r.ErrorType, r.Error)
	}
	return r
}

// query runs an instant query and returns how many series or samples came back.
func (p *promServer) query(t *testing.T, expr string) int {
	t.Helper()
	r := p.get(t, "/api/v1/query", url.Values{"query": {expr}})
	var v promVector
	if err := json.Unmarshal(r.Data, &v); err != nil {
		t.Fatal(err)
	}
	if v.ResultType == "scalar" {
		return 1
	}
	return len(v.Result)
}

func (p *promServer) waitFor(t *testing.T, expr string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for p.query(t, expr) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still no data for %s after 2 minutes", expr)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$`)

// labelValues answers a label_values(selector, label) variable query as
// Grafana's Prometheus data source does: the label's values over the
// series the selector matches.
func (p *promServer) labelValues(t *testing.T, g grafana, q string) []string {
	t.Helper()
	m := labelValuesRE.FindStringSubmatch(q)
	if m == nil {
		t.Fatalf("variable query %q is not label_values(selector, label)", q)
	}
	sel, err := g.prometheus(m[1])
	if err != nil {
		t.Fatal(err)
	}
	r := p.get(t, "/api/v1/series", url.Values{"match[]": {sel}, "start": {fmt.Sprint(time.Now().Add(-time.Hour).Unix())}})
	var series []map[string]string
	if err := json.Unmarshal(r.Data, &series); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, labels := range series {
		if v := labels[m[2]]; v != "" {
			set[v] = true
		}
	}
	var out []string
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

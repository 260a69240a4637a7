package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
	"github.com/throughline/throughline/server"
)

func TestMain(m *testing.M) { chtest.Main(m) }

var end = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// demoEvents returns the first n events of the demo organisation.
func demoEvents(tb testing.TB, n int) []ingest.Event {
	var out []ingest.Event
	errEnough := fmt.Errorf("enough")
	err := demo.Generate(demo.Options{End: end, Scale: 3}, func(evs []ingest.Event) error {
		out = append(out, evs...)
		if len(out) >= n {
			return errEnough
		}
		return nil
	})
	if err != nil && len(out) < n {
		tb.Fatal(err)
	}
	if len(out) < n {
		tb.Fatalf("demo gave %d events, want %d", len(out), n)
	}
	return out[:n]
}

func engines(tb testing.TB) map[string]queries.Engine {
	return map[string]queries.Engine{"server": chtest.Server(tb), "embedded": chtest.Embedded(tb)}
}

// BenchmarkIngest posts batches of 1,000 events through the real HTTP
// server (4 concurrent clients) and compares the rate with writing the same
// rows straight into ClickHouse, one batch at a time, in the same run.
func BenchmarkIngest(b *testing.B) {
	const total, batch = 200000, 1000
	evs := demoEvents(b, total)
	var bodies [][]byte
	for i := 0; i < total; i += batch {
		body, _ := json.Marshal(evs[i : i+batch])
		bodies = append(bodies, body)
	}
	for _, name := range []string{"server", "embedded"} {
		eng := engines(b)[name]
		b.Run(name, func(b *testing.B) {
			var direct, viaHTTP time.Duration
			for b.Loop() {
				st := chtest.NewStore(b, eng)
				es := eventstore.New(st)
				now := time.Now()
				start := time.Now()
				for i := 0; i < total; i += batch {
					recs := make([]ingest.Record, batch)
					for j := range recs {
						recs[j] = ingest.Record{Event: evs[i+j], Received: now, Version: uint64(now.UnixNano())}
					}
					if err := es.Write(context.Background(), recs, nil); err != nil {
						b.Fatal(err)
					}
				}
				direct = time.Since(start)

				st2 := chtest.NewStore(b, eng)
				url, stop := startServer(b, st2)
				start = time.Now()
				postAll(b, url, bodies, 4)
				viaHTTP = time.Since(start)
				stop()
				if n, err := st2.CountEvents(context.Background()); err != nil || n != int64(total) {
					b.Fatalf("stored %d events, want %d (%v)", n, total, err)
				}
			}
			directRate := float64(total) / direct.Seconds()
			httpRate := float64(total) / viaHTTP.Seconds()
			b.ReportMetric(directRate, "direct-events/s")
			b.ReportMetric(httpRate, "http-events/s")
			b.ReportMetric(httpRate/directRate, "http/direct")
			fmt.Fprintf(os.Stderr, "ingest %-8s direct %8.0f events/s, via POST /api/v1/events %8.0f events/s, ratio %.2f\n", name, directRate, httpRate, httpRate/directRate)
		})
	}
}

func startServer(tb testing.TB, st *queries.Store) (string, func()) {
	p, err := ingest.NewPipeline(ingest.PipelineOptions{Writer: eventstore.New(st), SpoolDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	comp, _ := metrics.NewComputer(metrics.Options{Store: st})
	s, err := server.New(server.Options{Pipeline: p, Events: eventstore.New(st), Measures: comp})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	return hs.URL, func() { hs.Close(); cancel(); <-done }
}

func postAll(tb testing.TB, url string, bodies [][]byte, clients int) {
	var wg sync.WaitGroup
	next := make(chan []byte)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range next {
				res, err := http.Post(url+"/api/v1/events", "application/json", bytes.NewReader(body))
				if err != nil {
					tb.Error(err)
					continue
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					tb.Errorf("status %d", res.StatusCode)
				}
			}
		}()
	}
	for _, b := range bodies {
		next <- b
	}
	close(next)
	wg.Wait()
}

// BenchmarkMeasures times the measures query grouped by service over the
// whole demo year at 1M and 10M events, with a full scan of the events
// table (count with FINAL) as the baseline measured in the same run.
func BenchmarkMeasures(b *testing.B) {
	sizes := []struct {
		name  string
		scale float64
	}{{"1M", 10}, {"10M", 100}}
	if s := os.Getenv("THROUGHLINE_BENCH_SIZES"); s == "small" {
		sizes = sizes[:1]
		sizes[0].scale = 1
		sizes[0].name = "100k"
	}
	for _, name := range []string{"server", "embedded"} {
		eng := engines(b)[name]
		for _, sz := range sizes {
			b.Run(name+"/"+sz.name, func(b *testing.B) {
				st := chtest.NewStore(b, eng)
				opts := demo.Options{End: end, Scale: sz.scale}
				n := load(b, st, opts)
				cat := demo.Catalog(opts)
				var mu sync.Mutex
				perQuery := map[string]time.Duration{}
				comp, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &cat, Observe: func(q string, d time.Duration) {
					mu.Lock()
					perQuery[q] += d
					mu.Unlock()
				}})
				if err != nil {
					b.Fatal(err)
				}
				q := metrics.Query{From: end.AddDate(-1, 0, 0), To: end, GroupBy: "service"}
				ctx := context.Background()
				base := timeIt(b, func() {
					if _, err := st.CountEvents(ctx); err != nil {
						b.Fatal(err)
					}
				})
				var total time.Duration
				runs := 0
				for b.Loop() {
					start := time.Now()
					rep, err := comp.Compute(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					if len(rep.Groups) == 0 {
						b.Fatal("no groups")
					}
					total += time.Since(start)
					runs++
				}
				per := total / time.Duration(runs)
				b.ReportMetric(float64(per.Milliseconds()), "ms/query")
				b.ReportMetric(float64(per)/float64(base), "x-scan")
				fmt.Fprintf(os.Stderr, "measures %-8s %4s (%s events): %v per grouped query, %.1fx a FINAL count scan (%v)\n",
					name, sz.name, strconv.Itoa(n), per.Round(time.Millisecond), float64(per)/float64(base), base.Round(time.Millisecond))
				// Where the time goes: each statement's share (they run
				// concurrently, so the shares add up to more than the whole).
				names := make([]string, 0, len(perQuery))
				for q := range perQuery {
					names = append(names, q)
				}
				sort.Slice(names, func(i, j int) bool { return perQuery[names[i]] > perQuery[names[j]] })
				for _, q := range names {
					fmt.Fprintf(os.Stderr, "    %-40s %v\n", q, (perQuery[q] / time.Duration(runs)).Round(time.Millisecond))
				}
			})
		}
	}
}

func timeIt(b *testing.B, f func()) time.Duration {
	f() // warm
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		s := time.Now()
		f()
		if d := time.Since(s); d < best {
			best = d
		}
	}
	return best
}

func load(b *testing.B, st *queries.Store, opts demo.Options) int {
	es := eventstore.New(st)
	n := 0
	var buf []ingest.Event
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := es.Load(context.Background(), buf)
		n += len(buf)
		buf = buf[:0]
		return err
	}
	err := demo.Generate(opts, func(evs []ingest.Event) error {
		buf = append(buf, evs...)
		if len(buf) >= 100000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		b.Fatal(err)
	}
	return n
}

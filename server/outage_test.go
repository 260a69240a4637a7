package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
)

// TestClickHouseOutage stops the ClickHouse server while events are being
// posted, starts it again, and checks that every acknowledged event is
// present exactly once: acknowledged events went to the spool while the
// server was down and were replayed. The outage outlasts the replays after
// which a batch ClickHouse refuses is set aside (50, every 200 ms): an
// outage must never set anything aside.
func TestClickHouseOutage(t *testing.T) {
	ch, err := chtest.StartServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Stop)
	opts, _, err := queries.ParseDSN(ch.DSN("default"))
	if err != nil {
		t.Fatal(err)
	}
	opts.DialTimeout = time.Second
	eng, err := queries.OpenServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	st := chtest.NewStore(t, eng)
	spoolDir := t.TempDir()
	ts := newTestServer(t, st, tsOptions{spoolDir: spoolDir})

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		fails int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var batch []map[string]any
				for i := 0; i < 20; i++ {
					batch = append(batch, map[string]any{
						"id": fmt.Sprintf("w%d-%d-%d", w, n, i), "source": "outage", "type": "build.finished",
						"time":    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second).Format(time.RFC3339),
						"subject": fmt.Sprintf("b%d", n), "outcome": "success",
					})
				}
				body, _ := json.Marshal(batch)
				r := do(t, "POST", ts.URL+"/api/v1/events", body, map[string]string{"Content-Type": "application/json"})
				mu.Lock()
				if r.Status == 200 {
					for _, e := range batch {
						acked[e["id"].(string)] = true
					}
				} else {
					fails++
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}(w)
	}
	time.Sleep(700 * time.Millisecond)
	ch.Stop()
	time.Sleep(12 * time.Second)
	if ev, _ := ts.Pipeline.SpoolDepth(); ev == 0 {
		t.Errorf("nothing was spooled while ClickHouse was down")
	}
	if err := ch.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	close(stop)
	wg.Wait()

	deadline := time.Now().Add(90 * time.Second)
	for {
		ev, _ := ts.Pipeline.SpoolDepth()
		if ev == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spool still holds %d events after the server came back", ev)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if dead, _ := os.ReadDir(filepath.Join(spoolDir, "dead")); len(dead) > 0 {
		t.Errorf("%d spooled batches were set aside as dead letters during an outage", len(dead))
	}
	ctx := context.Background()
	res, err := eng.Query(ctx, "SELECT count() AS n, uniqExact(id) AS u FROM "+st.Database()+".events FINAL WHERE source = 'outage'")
	if err != nil {
		t.Fatal(err)
	}
	n, u := res.Int(0, "n"), res.Int(0, "u")
	t.Logf("acknowledged %d events (%d requests refused), stored %d rows, %d distinct", len(acked), fails, n, u)
	if int(u) != len(acked) || n != u {
		t.Fatalf("stored %d rows / %d distinct, want exactly the %d acknowledged", n, u, len(acked))
	}
	// And each acknowledged id is there.
	res, err = eng.Query(ctx, "SELECT id AS id FROM "+st.Database()+".events FINAL WHERE source = 'outage'")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for i := 0; i < res.Len(); i++ {
		have[res.String(i, "id")] = true
	}
	for id := range acked {
		if !have[id] {
			t.Fatalf("acknowledged event %s is missing", id)
		}
	}
}

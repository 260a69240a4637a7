package polltest

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/queries"
)

// ImportTwice runs im on req into st under the jobs "a" and "b", each from
// a fresh checkpoint, and fails tb unless st holds want distinct events after
// each run: a second full import of the same events must add none.
func ImportTwice(tb testing.TB, st *queries.Store, im poll.Importer, req poll.Request, want int) {
	tb.Helper()
	sink := StoreSink(st)
	for _, job := range []string{"a", "b"} {
		if err := im.Import(context.Background(), req, sink, poll.NewMemoryCheckpoint(job)); err != nil {
			tb.Fatal(err)
		}
		if n := CountEvents(tb, st); n != want {
			tb.Fatalf("import %s: %d events stored, want %d", job, n, want)
		}
	}
}

// CheckMeasures computes the ungrouped measures of [from, to) on st and
// fails tb for every measure of want that is null or differs by more than
// 1e-9.
func CheckMeasures(tb testing.TB, st *queries.Store, from, to time.Time, want map[string]float64) {
	tb.Helper()
	m := Measures(tb, st, from, to)
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if got := Value(tb, m, name); math.Abs(got-want[name]) > 1e-9 {
			tb.Errorf("%s = %v, want %v", name, got, want[name])
		}
	}
}

// PageSeeds returns the recorded API pages in dir (every *.json file but
// routes.json), to seed a fuzz test of an importer. It fails tb when there
// are none.
func PageSeeds(tb testing.TB, dir string) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, f := range files {
		if strings.HasSuffix(f, "routes.json") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		tb.Fatalf("no recorded pages in %s", dir)
	}
	return out
}

// CheckValid fails tb on the first collected event that is not valid.
func (c *Collector) CheckValid(tb testing.TB) {
	tb.Helper()
	for _, e := range c.Events() {
		if err := e.Validate(); err != nil {
			tb.Fatalf("invalid event %+v: %v", e, err)
		}
	}
}

package polltest

import (
	"context"
	"testing"
	"time"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/queries"
)

// StoreSink writes each page to st as the import command does.
func StoreSink(st *queries.Store) poll.Sink {
	es := eventstore.New(st)
	return func(ctx context.Context, evs []ingest.Event) error { return es.Load(ctx, evs) }
}

// CountEvents returns the number of distinct events stored (one per
// source and id, however often written).
func CountEvents(tb testing.TB, st *queries.Store) int {
	tb.Helper()
	res, err := st.Query(context.Background(), "events/count.sql", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return int(res.Int(0, "events"))
}

// Measures computes the ungrouped measures of [from, to) on st with an
// empty catalog.
func Measures(tb testing.TB, st *queries.Store, from, to time.Time) map[string]*float64 {
	tb.Helper()
	c, err := metrics.NewComputer(metrics.Options{Store: st})
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := c.Compute(context.Background(), metrics.Query{From: from, To: to})
	if err != nil {
		tb.Fatal(err)
	}
	if len(rep.Groups) != 1 {
		tb.Fatalf("want one group, got %+v", rep.Groups)
	}
	return rep.Groups[0].Measures
}

// Value dereferences a measure, failing the test when it is null.
func Value(tb testing.TB, m map[string]*float64, name string) float64 {
	tb.Helper()
	v, ok := m[name]
	if !ok || v == nil {
		tb.Fatalf("measure %s is null or missing", name)
	}
	return *v
}

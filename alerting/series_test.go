package alerting

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries/chtest"
)

// TestSeriesZeroes: a week without deployments is a deployment frequency
// of 0 and an incident count of 0, not a missing value (a freeze must show
// in the series, and a model must not see only the busy weeks); a median
// stays missing, since nothing was measured.
func TestSeriesZeroes(t *testing.T) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			st := eng.Store
			// Seven deployments in the second of four weeks and in the
			// last; none in the third. The first is before the service's
			// first event: it stays missing.
			var evs []ingest.Event
			for _, d := range deployments("ledger", end, 21, func(int) bool { return false }) {
				if d.Time.Before(end.Add(-14*day)) || !d.Time.Before(end.Add(-7*day)) {
					evs = append(evs, d)
				}
			}
			loadEvents(t, st, evs)
			src := newSeriesSource(computer(t, st), st, 0)
			ctx := context.Background()
			for _, tc := range []struct {
				measure string
				want    []float64
			}{
				{"deployment_frequency_per_day", []float64{math.NaN(), 1, 0, 1}},
				{"deployments", []float64{math.NaN(), 7, 0, 7}},
				{"change_failure_rate", []float64{math.NaN(), 0, math.NaN(), 0}},
			} {
				all, err := src.series(ctx, Scope{GroupBy: "service"}, tc.measure, 7*day, 7*day, end, 4, end)
				if err != nil {
					t.Fatal(err)
				}
				got := all["ledger"].Values()
				for i := range tc.want {
					if len(got) != 4 || !(got[i] == tc.want[i] || math.IsNaN(got[i]) && math.IsNaN(tc.want[i])) {
						t.Errorf("%s: %v, want %v", tc.measure, got, tc.want)
						break
					}
				}
			}
		})
	}
}

package forecast

import (
	"math"
	"testing"
	"time"
)

func TestBurnRate(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		failures, total, slo float64
		want                 float64
	}{
		// 10/1000 = 1% errors against a 0.1% budget: 10× the sustainable rate.
		{"ten times", 10, 1000, 0.999, 10},
		// 0.5% errors on a 99% SLO: half the budget rate.
		{"half", 5, 1000, 0.99, 0.5},
		{"no errors", 0, 1000, 0.999, 0},
		{"no traffic", 0, 0, 0.999, math.NaN()},
		{"more failures than events", 11, 10, 0.999, math.NaN()},
		{"slo of 1", 1, 10, 1, math.NaN()},
		{"slo as percent", 1, 10, 99.9, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := BurnRate(tc.failures, tc.total, tc.slo); !near(got, tc.want, 1e-12) {
				t.Errorf("BurnRate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	w := DefaultBurnWindows()
	if len(w) != 3 || w[0] != (BurnWindow{time.Hour, 5 * time.Minute, 14.4}) ||
		w[1] != (BurnWindow{6 * time.Hour, 30 * time.Minute, 6}) ||
		w[2] != (BurnWindow{72 * time.Hour, 6 * time.Hour, 1}) {
		t.Fatalf("DefaultBurnWindows = %v", w)
	}
	// SLO 99.9%, budget 0.001. Burn rates: 1h .02 → 20, 5m .015 → 15:
	// both > 14.4, fires. 6h .01 → 10 > 6 but 30m .005 → 5 < 6: the short
	// window says it has stopped, no fire. 3d .002 → 2 and 6h 10: both > 1,
	// fires.
	ratios := map[time.Duration]float64{
		time.Hour:        0.02,
		5 * time.Minute:  0.015,
		6 * time.Hour:    0.01,
		30 * time.Minute: 0.005,
		72 * time.Hour:   0.002,
	}
	got, err := Evaluate(w, ratios, 0.999)
	if err != nil {
		t.Fatal(err)
	}
	wantFiring := []bool{true, false, true}
	wantLong := []float64{20, 10, 2}
	for i, a := range got {
		if a.Firing != wantFiring[i] || !near(a.LongRate, wantLong[i], 1e-9) {
			t.Errorf("window %d: %+v, want firing %v long rate %v", i, a, wantFiring[i], wantLong[i])
		}
	}

	// Exactly at the factor does not fire (the workbook's rules use >),
	// and a missing ratio never fires.
	got, _ = Evaluate([]BurnWindow{{Long: time.Hour, Short: time.Minute, Factor: 2}, {Long: time.Hour, Short: 2 * time.Minute, Factor: 1}},
		map[time.Duration]float64{time.Hour: 0.5, time.Minute: 0.5}, 0.75)
	if got[0].Firing || got[1].Firing || !math.IsNaN(got[1].ShortRate) {
		t.Errorf("edge cases: %+v", got)
	}

	if _, err := Evaluate(w, ratios, 0); err == nil {
		t.Error("slo 0 accepted")
	}
}

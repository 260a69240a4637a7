package forecast

import (
	"fmt"
	"math"
	"time"
)

// BurnRate is how fast errors spend the error budget: the error ratio over
// a window divided by the budget 1 − slo. 1 spends exactly the budget over
// the SLO period; 14.4 spends a 30-day budget in 50 hours (Google, The Site
// Reliability Workbook, ch. 5 "Alerting on SLOs"). It returns NaN when
// total ≤ 0 (nothing to measure), failures is negative or exceeds total, or
// slo is not in (0, 1).
func BurnRate(failures, total, slo float64) float64 {
	if !(total > 0) || !(failures >= 0 && failures <= total) || !(slo > 0 && slo < 1) {
		return math.NaN()
	}
	return failures / total / (1 - slo)
}

// BurnWindow is one multiwindow rule: it fires when the burn rate exceeds
// Factor over both the Long window and the Short one. The long window gives
// significance; the short one makes the alert stop soon after the burn does.
type BurnWindow struct {
	Long, Short time.Duration
	Factor      float64
}

// DefaultBurnWindows returns the SRE workbook's recommended rules for a
// 30-day SLO: 1h/5m at 14.4 (2% of the budget; page), 6h/30m at 6 (5%;
// page) and 3d/6h at 1 (10%; ticket). A function, so callers cannot alter a
// shared table.
func DefaultBurnWindows() []BurnWindow {
	return []BurnWindow{
		{Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4},
		{Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6},
		{Long: 3 * 24 * time.Hour, Short: 6 * time.Hour, Factor: 1},
	}
}

// BurnAlert is the evaluation of one BurnWindow.
type BurnAlert struct {
	Window              BurnWindow
	LongRate, ShortRate float64 // burn rates; NaN when the ratio was not given or is invalid
	Firing              bool
}

// Evaluate applies each window to the error ratios (failed ÷ total events)
// observed over each window length, keyed by duration, for an SLO in (0, 1).
// A window fires when both its burn rates are strictly greater than its
// Factor, as in the workbook's rules (rate > factor × budget). A missing or
// invalid ratio (outside [0, 1]) never fires.
func Evaluate(windows []BurnWindow, errorRatio map[time.Duration]float64, slo float64) ([]BurnAlert, error) {
	if !(slo > 0 && slo < 1) {
		return nil, fmt.Errorf("burn rate: slo must be in (0, 1), got %v", slo)
	}
	rate := func(d time.Duration) float64 {
		r, ok := errorRatio[d]
		if !ok {
			return math.NaN()
		}
		return BurnRate(r, 1, slo)
	}
	out := make([]BurnAlert, len(windows))
	for i, w := range windows {
		long, short := rate(w.Long), rate(w.Short)
		out[i] = BurnAlert{Window: w, LongRate: long, ShortRate: short, Firing: long > w.Factor && short > w.Factor}
	}
	return out, nil
}

package alerting

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goldenCompare compares got with testdata/alerting/<name>, or rewrites it
// with -update.
func goldenCompare(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "alerting", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestExplanationsGolden(t *testing.T) {
	now := time.Date(2026, 11, 12, 9, 0, 0, 0, time.UTC)
	dec10 := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	line := func(name, text string) { b.WriteString(name + ": " + text + "\n") }

	line("forecast, the issue's example", forecastText(forecastFacts{
		Measure: "change_failure_rate", Unit: "ratio", Key: "payments", Above: true, Target: 0.15,
		Last: 0.12, Reach: 0.18, By: dec10, SlopePerWeek: 0.012, SlopeOK: true, TrendSpan: 56 * day, Now: now}))
	line("forecast, already beyond", forecastText(forecastFacts{
		Measure: "change_failure_rate", Unit: "ratio", Key: "conversion", Above: true, Target: 0.15,
		Last: 0.171, Reach: 0.2549, By: dec10, SlopePerWeek: 0.0213, SlopeOK: true, TrendSpan: 56 * day, Now: now}))
	line("forecast, falling below", forecastText(forecastFacts{
		Measure: "deployment_frequency_per_day", Unit: "per_day", Key: "data-eng", Above: false, Target: 0.5,
		Last: 0.9, Reach: 0.31, By: dec10, SlopePerWeek: -0.104, SlopeOK: true, TrendSpan: 42 * day, Now: now}))
	line("forecast, lead time across the new year", forecastText(forecastFacts{
		Measure: "change_lead_time_median_seconds", Unit: "seconds", Key: "mobile", Above: true, Target: 7 * 86400,
		Last: 3.2 * 86400, Reach: 8.5 * 86400, By: time.Date(2027, 1, 7, 0, 0, 0, 0, time.UTC),
		SlopePerWeek: 9.5 * 3600, SlopeOK: true, TrendSpan: 56 * day, Now: now}))
	line("forecast, no trend to quote", forecastText(forecastFacts{
		Measure: "incidents_opened", Unit: "count", Key: "search", Above: true, Target: 20,
		Last: math.NaN(), Reach: 24, By: dec10, Now: now}))
	line("threshold above", thresholdText("change_failure_rate", "ratio", "payments", ">", 0.2231, 0.15, 28*day))
	line("threshold below", thresholdText("deployment_frequency_per_day", "per_day", "ledger", "<", 0.2, 1, 7*day))
	line("threshold, whole organisation", thresholdText("failed_deployment_recovery_time_median_seconds", "seconds", "", ">=", 5400, 3600, 24*time.Hour))
	line("anomaly, daily incidents", anomalyText(anomalyFacts{
		Measure: "incidents_opened", Unit: "count", Key: "search", Up: true, Method: "cusum", Latest: 9,
		Mean: 1.54, SD: 1.21, Window: day, End: time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC),
		Since: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), Baseline: 63 * day, Now: now}))
	line("anomaly, weekly deployment frequency", anomalyText(anomalyFacts{
		Measure: "deployment_frequency_per_day", Unit: "per_day", Key: "data-eng", Up: false, Method: "ewma", Latest: 0.43,
		Mean: 1.71, SD: 0.38, Window: 7 * day, End: time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC),
		Since: time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC), Baseline: 98 * day, Now: now}))
	line("rate test, incidents surge", rateText(rateFacts{
		Measure: "incidents_opened", Unit: "count", Key: "search", Up: true, P: 0.00081, Recent: 8, RecentSteps: 2,
		BaselineCount: 10, BaselineSteps: 14, Step: 7 * day, End: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Baseline: 98 * day, Now: now}))
	line("rate test, daily incidents out of nothing", rateText(rateFacts{
		Measure: "incidents_opened", Unit: "count", Key: "ledger", Up: true, P: 2e-7, Recent: 5, RecentSteps: 3,
		BaselineCount: 0, BaselineSteps: 56, Step: day, End: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Baseline: 56 * day, Now: now}))
	line("rate test, deployment freeze", rateText(rateFacts{
		Measure: "deployment_frequency_per_day", Unit: "per_day", Key: "data-eng", Up: false, P: 0.0061, Recent: 1, RecentSteps: 2,
		BaselineCount: 56, BaselineSteps: 14, Step: 7 * day, End: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Baseline: 98 * day, Now: now}))
	line("burn rate", burnText("change_failure_rate", "checkout", 0.95, BurnWindow{Long: Duration(time.Hour), Short: Duration(5 * time.Minute), Factor: 14.4}, 16.2, 15))
	line("burn rate, slow", burnText("rework_rate", "ledger", 0.9, BurnWindow{Long: Duration(72 * time.Hour), Short: Duration(6 * time.Hour), Factor: 1}, 1.6, 2.4))
	goldenCompare(t, "explanations.golden", b.String())
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{FormatValue("ratio", 0.18), "18%"},
		{FormatValue("ratio", 0.1749), "17.5%"},
		{FormatValue("seconds", 45*60), "45 minutes"},
		{FormatValue("seconds", 3600), "1 hour"},
		{FormatValue("seconds", 5400), "1.5 hours"},
		{FormatValue("seconds", 36*3600), "36 hours"},
		{FormatValue("seconds", 86400*2.26), "2.3 days"},
		{FormatValue("per_day", 1.456), "1.46 a day"},
		{FormatValue("count", 3), "3"},
		{FormatValue("ratio", math.NaN()), "no value"},
		{formatSlope("ratio", 0.01), "+1 point a week"},
		{formatSlope("ratio", -0.025), "-2.5 points a week"},
		{formatSlope("seconds", 7200), "+2 hours a week"},
		{formatSlope("count", -0.04), "no clear change"},
		{Title("time_to_market_median_seconds"), "Time to market median"},
		{weeks(3 * day), "3 days"},
		{weeks(7 * day), "1 week"},
		{weeks(60 * day), "8.6 weeks"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/alerting"
)

// TestBacktestCommand replays 15 weeks of the demo on the embedded engine:
// the JSON has one shape (snake_case, nulls for undefined figures, the
// weekly values), the table names its columns and the trending series, and
// flag errors name the flag.
func TestBacktestCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"backtest", "--demo", "--data", data, "--days", "105", "--end", "2026-06-01",
		"--measures", "deployment_frequency_per_day,change_failure_rate", "--format", "json", "--log-level", "error"}
	var rep struct {
		From   string `json:"from"`
		Series []struct {
			Measure     string     `json:"measure"`
			GroupBy     string     `json:"group_by"`
			Key         string     `json:"key"`
			Model       string     `json:"model"`
			MASE        *float64   `json:"mase"`
			NaiveMASE   *float64   `json:"naive_mase"`
			HeldOutMASE *float64   `json:"held_out_mase"`
			Trending    bool       `json:"trending"`
			Weeks       []*float64 `json:"weeks"`
		} `json:"series"`
		Regressions []json.RawMessage `json:"regressions"`
		Precision   *float64          `json:"precision"`
	}
	if err := json.Unmarshal([]byte(outString(t, args)), &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.From, "2026-02-16") {
		t.Errorf("from %q, want 105 days before 2026-06-01", rep.From)
	}
	measures := map[string]int{}
	trending := 0
	for _, s := range rep.Series {
		measures[s.Measure]++
		if len(s.Weeks) != 15 {
			t.Errorf("%s %s: %d weeks, want 15", s.Measure, s.Key, len(s.Weeks))
		}
		if s.Trending {
			trending++
		}
		if s.Model != "" && (s.MASE == nil || s.NaiveMASE == nil) {
			t.Errorf("%s %s: model %s without scores", s.Measure, s.Key, s.Model)
		}
	}
	// 8 teams and the organisation, for each of the two measures.
	if measures["deployment_frequency_per_day"] != 9 || measures["change_failure_rate"] != 9 || len(measures) != 2 {
		t.Errorf("series per measure %v", measures)
	}
	if trending != 2 {
		t.Errorf("%d trending series, want 2 (mobile's and the organisation's deployment frequency)", trending)
	}

	var table strings.Builder
	if err := printBacktest(&table, &alerting.BacktestReport{Series: []alerting.SeriesAccuracy{{
		SeriesRef: alerting.SeriesRef{Measure: "deployment_frequency_per_day"}, Points: 20, Model: "theta",
		MASE: 0.8, NaiveMASE: 1.1, HeldOutMASE: 0.9, Coverage: 0.95, Trending: true}}}); err != nil {
		t.Fatal(err)
	}
	row := "deployment_frequency_per_day (all) 20 theta 0.80 1.10 0.90 95% +0 yes"
	if !strings.Contains(strings.Join(strings.Fields(table.String()), " "), row) {
		t.Errorf("table lacks the row %q:\n%s", row, table.String())
	}
	for _, want := range []string{"held-out MASE", "naive MASE", "Trending series: 1 of 1 with MASE below 1 (held-out: 1 of 1)."} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backtest", "--data", data, "--measures", "happiness"}, `unknown measure "happiness"`},
		{[]string{"backtest", "--data", data, "--format", "xml"}, "--format"},
		{[]string{"backtest", "--data", data, "--replay-step", "5m"}, "--replay-step"},
		{[]string{"backtest", "--data", data, "--end", "someday"}, "--end"},
	} {
		var o, e bytes.Buffer
		err := run(context.Background(), tc.args, &o, &e)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

func outString(t *testing.T, args []string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

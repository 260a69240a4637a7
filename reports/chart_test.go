package reports

import (
	"regexp"
	"strings"
	"testing"

	"github.com/throughline/throughline/metrics"
)

func trendOf(unit string, vals ...*float64) Trend {
	t := Trend{Measure: "m", Title: "M <&>", Unit: unit}
	for i, v := range vals {
		t.Points = append(t.Points, Point{Label: string(rune('a' + i)), Value: v, Display: format(unit, v)})
	}
	return t
}

func TestChartSVG(t *testing.T) {
	polyRE := regexp.MustCompile(`<polyline class="line" points="([^"]*)"`)
	for _, tc := range []struct {
		name     string
		trend    Trend
		segments []int // points per polyline
		dots     int
		labels   []string // y-axis labels, bottom to top
	}{
		{name: "all measured", trend: trendOf("ratio", ptr(0.05), ptr(0.1), ptr(0.12)),
			segments: []int{3}, dots: 3, labels: []string{"0", "10%", "20%"}},
		{name: "a gap splits the line", trend: trendOf("seconds", ptr(3600.0), nil, ptr(7200.0), ptr(5400.0)),
			segments: []int{1, 2}, dots: 3, labels: []string{"0", "2 h", "4 h"}},
		{name: "nothing measured", trend: trendOf("per_day", nil, nil),
			segments: nil, dots: 0, labels: []string{"0", "0.5/day", "1/day"}},
		{name: "per week below one a day", trend: trendOf("per_day", ptr(0.3), ptr(0.5)),
			segments: []int{2}, dots: 2, labels: []string{"0", "2/week", "4/week"}},
		{name: "days", trend: trendOf("seconds", ptr(2*86400.0), ptr(3*86400.0)),
			segments: []int{2}, dots: 2, labels: []string{"0", "2 days", "4 days"}},
		{name: "a round maximum gets headroom", trend: trendOf("count", ptr(10.0), ptr(0.0)),
			segments: []int{2}, dots: 2, labels: []string{"0", "10", "20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := chartSVG(tc.trend)
			var segs []int
			for _, m := range polyRE.FindAllStringSubmatch(svg, -1) {
				segs = append(segs, len(strings.Fields(m[1])))
			}
			if !equalInts(segs, tc.segments) {
				t.Errorf("polylines of %v points, want %v", segs, tc.segments)
			}
			if got := strings.Count(svg, `<circle class="pt"`); got != tc.dots {
				t.Errorf("%d dots, want %d", got, tc.dots)
			}
			var labels []string
			for _, m := range regexp.MustCompile(`class="ylabel"[^>]*>([^<]*)<`).FindAllStringSubmatch(svg, -1) {
				labels = append(labels, m[1])
			}
			if strings.Join(labels, "|") != strings.Join(tc.labels, "|") {
				t.Errorf("y labels %q, want %q", labels, tc.labels)
			}
			if strings.Contains(svg, "<&>") || !strings.Contains(svg, "M &lt;&amp;&gt;") {
				t.Error("the title is not escaped")
			}
			if (tc.dots == 0) != strings.Contains(svg, `class="nodata"`) {
				t.Error("the no-data note shows exactly when nothing was measured")
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		unit string
		v    *float64
		want string
	}{
		{"count", nil, "–"},
		{"count", ptr(12.0), "12"},
		{"ratio", ptr(0.125), "12.5%"},
		{"ratio", ptr(0.0), "0%"},
		{"per_day", ptr(3.42), "3.4/day"},
		{"per_day", ptr(0.0), "0/day"},
		{"per_day", ptr(2.0 / 7), "2/week"},
		{"per_day", ptr(1.0 / 30), "1/month"},
		{"seconds", ptr(42.0), "42 s"},
		{"seconds", ptr(3000.0), "50 min"},
		{"seconds", ptr(5 * 3600.0), "5 h"},
		{"seconds", ptr(4 * 86400.0), "4 days"},
		{"furlongs", ptr(1.234), "1.23"},
	} {
		if got := format(tc.unit, tc.v); got != tc.want {
			t.Errorf("format(%s, %v) = %q, want %q", tc.unit, deref(tc.v), got, tc.want)
		}
	}
}

func TestChangeAndVerdict(t *testing.T) {
	for _, tc := range []struct {
		name      string
		unit      string
		dir       int
		cur, prev *float64
		change    string
		verdict   string
	}{
		{"ratio in points, lower is better", "ratio", -1, ptr(0.14), ptr(0.08), "+6 pts", "worse"},
		{"relative, higher is better", "per_day", 1, ptr(3.0), ptr(2.0), "+50%", "better"},
		{"duration down", "seconds", -1, ptr(3600.0), ptr(7200.0), "−50%", "better"},
		{"from zero", "count", -1, ptr(2.0), ptr(0.0), "new", "worse"},
		{"unchanged", "count", 1, ptr(5.0), ptr(5.0), "no change", "same"},
		{"no direction", "count", 0, ptr(6.0), ptr(5.0), "+20%", ""},
		{"missing previous", "ratio", -1, ptr(0.1), nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := change(tc.unit, tc.cur, tc.prev); got != tc.change {
				t.Errorf("change %q, want %q", got, tc.change)
			}
			if got := verdict(tc.dir, tc.cur, tc.prev); got != tc.verdict {
				t.Errorf("verdict %q, want %q", got, tc.verdict)
			}
		})
	}
}

// TestUnknownMeasures: a measure the catalogue gains later still shows,
// with a title from its name and a direction from its tiers or unit.
func TestUnknownMeasures(t *testing.T) {
	tiers := &metrics.TierTable{Measures: map[string][]metrics.Bound{
		"widgets_per_day": {{Tier: "elite", Op: ">=", Value: 3}},
		"queue_depth":     {{Tier: "elite", Op: "<", Value: 3}},
	}}
	for _, tc := range []struct {
		d     metrics.Definition
		title string
		dir   int
	}{
		{metrics.Definition{Name: "widgets_per_day", Unit: "per_day"}, "Widgets", 1},
		{metrics.Definition{Name: "queue_depth", Unit: "count"}, "Queue depth", -1},
		{metrics.Definition{Name: "review_wait_median_seconds", Unit: "seconds"}, "Review wait median", -1},
		{metrics.Definition{Name: "mystery_ratio", Unit: "ratio"}, "Mystery", 0},
		{metrics.Definition{Name: "change_failure_rate", Unit: "ratio"}, "Change failure rate", -1},
	} {
		if got := title(tc.d); got != tc.title {
			t.Errorf("title(%s) = %q, want %q", tc.d.Name, got, tc.title)
		}
		if got := direction(tc.d, tiers); got != tc.dir {
			t.Errorf("direction(%s) = %d, want %d", tc.d.Name, got, tc.dir)
		}
	}
}

func TestMovers(t *testing.T) {
	g := func(key string, m map[string]*float64) metrics.Group { return metrics.Group{Key: key, Measures: m} }
	cur := &metrics.Report{Groups: []metrics.Group{
		g("alpha", map[string]*float64{"change_failure_rate": ptr(0.30), "deployment_frequency_per_day": ptr(2.0)}),
		g("beta", map[string]*float64{"change_failure_rate": ptr(0.05), "deployment_frequency_per_day": ptr(1.02)}),
		g("gamma", map[string]*float64{"change_failure_rate": ptr(0.10), "deployments": ptr(100.0)}),
		g("new-team", map[string]*float64{"change_failure_rate": ptr(0.5)}),
	}}
	prev := &metrics.Report{Groups: []metrics.Group{
		g("alpha", map[string]*float64{"change_failure_rate": ptr(0.06), "deployment_frequency_per_day": ptr(1.0)}),
		g("beta", map[string]*float64{"change_failure_rate": ptr(0.20), "deployment_frequency_per_day": ptr(1.0)}),
		g("gamma", map[string]*float64{"change_failure_rate": ptr(0.11), "deployments": ptr(10.0)}),
	}}
	m := movers(Scope{Kind: "org"}, cur, prev, nil)
	var up, down []string
	for _, x := range m.Improvements {
		up = append(up, x.Group+"/"+x.Measure)
	}
	for _, x := range m.Regressions {
		down = append(down, x.Group+"/"+x.Measure)
	}
	// alpha's frequency doubled (+100%); beta's failure rate fell 15
	// points on a base of 20% (−75%); alpha's failure rate rose 24 points
	// on 6% (+400%). beta's frequency (+2%), gamma's failure rate (one
	// point) and gamma's deployments (no direction) are not news; the new
	// team has nothing to compare with.
	if strings.Join(up, ",") != "alpha/deployment_frequency_per_day,beta/change_failure_rate" {
		t.Errorf("improvements %v", up)
	}
	if strings.Join(down, ",") != "alpha/change_failure_rate" {
		t.Errorf("regressions %v", down)
	}
	if m.By != "team" {
		t.Errorf("by %s", m.By)
	}
}

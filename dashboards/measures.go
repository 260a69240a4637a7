package dashboards

import (
	"fmt"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/throughline/throughline/metrics"
)

// families in presentation order, with their row titles. A family not
// listed here still gets a row, titled by its name.
var families = []struct{ id, title string }{
	{"dora", "DORA five keys"},
	{"itsm", "Service management"},
	{"flow", "Flow"},
}

func familyTitle(id string) string {
	for _, f := range families {
		if f.id == id {
			return f.title
		}
	}
	return strings.ToUpper(id[:1]) + id[1:]
}

// byFamily groups definitions by family, known families first, each in
// catalogue order.
func byFamily(defs []metrics.Definition) (order []string, groups map[string][]metrics.Definition) {
	groups = map[string][]metrics.Definition{}
	for _, d := range defs {
		groups[d.Family] = append(groups[d.Family], d)
	}
	for _, f := range families {
		if len(groups[f.id]) > 0 {
			order = append(order, f.id)
		}
	}
	var rest []string
	for f := range groups {
		known := false
		for _, k := range families {
			known = known || k.id == f
		}
		if !known {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	return append(order, rest...), groups
}

// acronyms are written in capitals in titles.
var acronyms = map[string]string{"mtta": "MTTA", "mttr": "MTTR", "sla": "SLA", "p90": "p90"}

// title turns a measure name into a panel title: words, the unit suffix
// dropped (the panel's unit says it).
func title(d metrics.Definition) string {
	n := strings.TrimSuffix(d.Name, "_seconds")
	words := strings.Split(n, "_")
	for i, w := range words {
		if a, ok := acronyms[w]; ok {
			words[i] = a
		}
	}
	s := strings.Join(words, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// unit is the Grafana unit of a measure.
func unit(d metrics.Definition) string {
	switch d.Unit {
	case "seconds":
		return "s"
	case "ratio":
		return "percentunit"
	case "per_day":
		return "suffix:/day"
	}
	return "short"
}

// additive measures can be summed across services exactly (counts, and
// per-day rates of counts); the others (ratios, medians) cannot, so the
// overview shows the median service instead of inventing an aggregate.
func additive(d metrics.Definition) bool { return d.Unit == "count" || d.Unit == "per_day" }

// better says which way a measure improves: +1 higher, -1 lower, 0 neither
// (counts of work, distributions). The tier table decides where it has the
// measure; otherwise the name does, and an unknown name is neutral.
func better(d metrics.Definition, tiers *metrics.TierTable) int {
	if bounds := tiers.Measures[d.Name]; len(bounds) > 0 {
		if strings.HasPrefix(bounds[0].Op, ">") {
			return 1
		}
		return -1
	}
	if strings.HasSuffix(d.Name, "_samples") {
		return 0 // how many values a measure rests on, not a goal
	}
	for _, w := range []string{"failure", "rework", "unrecovered", "emergency", "mtta", "mttr", "resolution", "lead_time", "flow_time", "time_to_market", "incidents", "flow_load"} {
		if strings.Contains(d.Name, w) {
			return -1
		}
	}
	for _, w := range []string{"success", "compliance", "fix_rate", "self_heal", "frequency", "standard", "automated"} {
		if strings.Contains(d.Name, w) {
			return 1
		}
	}
	if d.Unit == "seconds" {
		return -1
	}
	return 0
}

// tierColors colour the DORA tiers.
var tierColors = map[string]string{"elite": "dark-green", "high": "green", "medium": "orange", "low": "red"}

// thresholds turns a measure's tier bounds into Grafana thresholds (a value
// at or above a step takes its colour). For "lower is better" bounds the
// base is elite; for "higher is better" it is low. A bound with <= or >
// is placed at its value, so only a value exactly on it shows the next
// tier's colour. Measures without tiers get one neutral step.
func thresholds(d metrics.Definition, tiers *metrics.TierTable) *dashboard.ThresholdsConfigBuilder {
	bounds := tiers.Measures[d.Name]
	base := func(c string) []dashboard.Threshold { return []dashboard.Threshold{{Value: nil, Color: c}} }
	var steps []dashboard.Threshold
	switch {
	case len(bounds) == 0:
		steps = base("text")
	case strings.HasPrefix(bounds[0].Op, ">"):
		// Bounds run best first: elite >= 1, high >= 1/7, ...; low below all.
		steps = base(tierColors["low"])
		for i := len(bounds) - 1; i >= 0; i-- {
			v := bounds[i].Value
			steps = append(steps, dashboard.Threshold{Value: &v, Color: tierColors[bounds[i].Tier]})
		}
	default:
		// elite < 1 day, high < 1 week, ...: each bound starts the next tier.
		steps = base(tierColors[bounds[0].Tier])
		for i, b := range bounds {
			next := "low"
			if i+1 < len(bounds) {
				next = bounds[i+1].Tier
			}
			v := b.Value
			steps = append(steps, dashboard.Threshold{Value: &v, Color: tierColors[next]})
		}
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

// scope is the label matcher every measure query carries: the team,
// product and service drop-downs.
const scope = `service=~"$service", team=~"$team", product=~"$product"`

// selector selects a measure's gauges in scope, from every Throughline
// instance Prometheus scrapes.
func selector(d metrics.Definition) string {
	return fmt.Sprintf("%s{%s}", metrics.PromName(d), scope)
}

// series is one gauge per service: every replica of Throughline exports
// the same measures, so the copies are folded (max, as they are equal)
// before anything adds them up.
func series(d metrics.Definition) string {
	return "max by (service, team, product) (" + selector(d) + ")"
}

// overview is the one-number form of a measure for the overview: a sum
// where that is exact, else the median service. It returns the PromQL and
// the title suffix that says which.
func overview(d metrics.Definition) (expr, suffix string) {
	if additive(d) {
		return fmt.Sprintf("sum(%s)", series(d)), ""
	}
	return fmt.Sprintf("quantile(0.5, %s)", series(d)), " (median service)"
}

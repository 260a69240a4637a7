package reports

import (
	"math"
	"strconv"
	"strings"

	"github.com/throughline/throughline/metrics"
)

// Presentation of measures: titles, which way is better, how values read.
// The catalogue itself is metrics.Definitions; anything it holds that is
// not named here still shows, with a title made from its name and a
// direction taken from its tier table or its unit.

// titles of the measures MEASURES.md defines.
var titles = map[string]string{
	"deployments":                                    "Production deployments",
	"deployment_frequency_per_day":                   "Deployment frequency",
	"change_lead_time_median_seconds":                "Lead time for changes (median)",
	"change_lead_time_p90_seconds":                   "Lead time for changes (p90)",
	"change_lead_time_samples":                       "Changes measured for lead time",
	"change_failure_rate":                            "Change failure rate",
	"failed_deployment_recovery_time_median_seconds": "Failed deployment recovery time (median)",
	"failed_deployments_unrecovered":                 "Failed deployments not yet recovered",
	"rework_rate":                                    "Rework rate",
	"incidents_opened":                               "Incidents opened",
	"mtta_seconds":                                   "Mean time to acknowledge",
	"mttr_seconds":                                   "Mean time to resolve",
	"incident_resolution_median_seconds":             "Incident resolution time (median)",
	"incident_resolution_p90_seconds":                "Incident resolution time (p90)",
	"first_time_fix_rate":                            "First-time fix rate",
	"sla_compliance_rate":                            "SLA compliance",
	"self_heal_rate":                                 "Self-healed incidents",
	"change_requests_closed":                         "Change requests closed",
	"change_success_rate":                            "Change success rate",
	"emergency_change_ratio":                         "Emergency changes",
	"standard_change_ratio":                          "Standard (pre-approved) changes",
	"change_approval_lead_time_median_seconds":       "Change approval time (median)",
	"automated_approval_ratio":                       "Automated approvals",
	"work_items_done":                                "Work items done (flow velocity)",
	"flow_time_median_seconds":                       "Flow time (median)",
	"flow_load":                                      "Flow load (work in progress)",
	"flow_distribution_feature":                      "Flow distribution: features",
	"flow_distribution_defect":                       "Flow distribution: defects",
	"flow_distribution_risk":                         "Flow distribution: risks",
	"flow_distribution_debt":                         "Flow distribution: debt",
	"time_to_market_median_seconds":                  "Time to market (median)",
}

// Directions: +1 higher is better, -1 lower is better, 0 neither (volumes
// and mixes, which are context rather than performance).
var directions = map[string]int{
	"deployments":                                    0,
	"deployment_frequency_per_day":                   1,
	"change_lead_time_median_seconds":                -1,
	"change_lead_time_p90_seconds":                   -1,
	"change_lead_time_samples":                       0,
	"change_failure_rate":                            -1,
	"failed_deployment_recovery_time_median_seconds": -1,
	"failed_deployments_unrecovered":                 -1,
	"rework_rate":                                    -1,
	"incidents_opened":                               -1,
	"mtta_seconds":                                   -1,
	"mttr_seconds":                                   -1,
	"incident_resolution_median_seconds":             -1,
	"incident_resolution_p90_seconds":                -1,
	"first_time_fix_rate":                            1,
	"sla_compliance_rate":                            1,
	"self_heal_rate":                                 1,
	"change_requests_closed":                         0,
	"change_success_rate":                            1,
	"emergency_change_ratio":                         -1,
	"standard_change_ratio":                          1,
	"change_approval_lead_time_median_seconds":       -1,
	"automated_approval_ratio":                       1,
	"work_items_done":                                1,
	"flow_time_median_seconds":                       -1,
	"flow_load":                                      0,
	"flow_distribution_feature":                      0,
	"flow_distribution_defect":                       0,
	"flow_distribution_risk":                         0,
	"flow_distribution_debt":                         0,
	"time_to_market_median_seconds":                  -1,
}

// familyTitles name the sections; a family not listed gets its name.
var familyTitles = map[string]string{
	"dora": "Delivery (DORA)",
	"itsm": "Service management",
	"flow": "Flow",
}

// familyOrder is the order of the sections; others follow, sorted.
var familyOrder = []string{"dora", "itsm", "flow"}

// chartMeasures are drawn as trends, when the catalogue has them: the
// four keys, incident resolution and flow time.
var chartMeasures = []string{
	"deployment_frequency_per_day",
	"change_lead_time_median_seconds",
	"change_failure_rate",
	"failed_deployment_recovery_time_median_seconds",
	"mttr_seconds",
	"flow_time_median_seconds",
}

func title(d metrics.Definition) string {
	if t, ok := titles[d.Name]; ok {
		return t
	}
	n := d.Name
	for _, suf := range []string{"_seconds", "_per_day", "_ratio"} {
		n = strings.TrimSuffix(n, suf)
	}
	n = strings.ReplaceAll(n, "_", " ")
	if n == "" {
		return d.Name
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// direction of a measure: the table above, else its tier table (bounds
// with >= reward higher values), else durations are better short.
func direction(d metrics.Definition, tiers *metrics.TierTable) int {
	if v, ok := directions[d.Name]; ok {
		return v
	}
	if tiers != nil {
		if b := tiers.Measures[d.Name]; len(b) > 0 {
			if strings.HasPrefix(b[0].Op, ">") {
				return 1
			}
			return -1
		}
	}
	if d.Unit == "seconds" {
		return -1
	}
	return 0
}

// format renders a value in its unit for a reader: "3.4/day", "1.2 days",
// "12.5%", "140". nil is "–" (nothing to measure).
func format(unit string, v *float64) string {
	if v == nil {
		return "–"
	}
	x := *v
	switch unit {
	case "seconds":
		return duration(x)
	case "ratio":
		return trim(x*100, 1) + "%"
	case "per_day":
		switch {
		case x >= 1 || x == 0:
			return trim(x, 1) + "/day"
		case x*7 >= 1:
			return trim(x*7, 1) + "/week"
		}
		return trim(x*30, 1) + "/month"
	case "count":
		return trim(x, 0)
	}
	return trim(x, 2)
}

// duration reads seconds in the largest sensible unit.
func duration(s float64) string {
	a := math.Abs(s)
	switch {
	case a < 90:
		return trim(s, 0) + " s"
	case a < 90*60:
		return trim(s/60, 0) + " min"
	case a < 36*3600:
		return trim(s/3600, 1) + " h"
	}
	return trim(s/86400, 1) + " days"
}

// trim formats with at most prec decimals and no trailing zeros.
func trim(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// change describes the move from prev to cur: for ratios in percentage
// points, otherwise in percent; "" when either is missing.
func change(unit string, cur, prev *float64) string {
	if cur == nil || prev == nil {
		return ""
	}
	d := *cur - *prev
	if unit == "ratio" {
		if math.Abs(d) < 0.0005 {
			return "no change"
		}
		return signed(d*100, 1) + " pts"
	}
	if *prev == 0 {
		if d == 0 {
			return "no change"
		}
		return "new"
	}
	r := d / math.Abs(*prev)
	if math.Abs(r) < 0.005 {
		return "no change"
	}
	return signed(r*100, 0) + "%"
}

func signed(x float64, prec int) string {
	s := trim(x, prec)
	if x > 0 && s != "0" {
		return "+" + s
	}
	if s == "0" {
		return "±0"
	}
	return strings.Replace(s, "-", "−", 1)
}

// verdict says whether a move is better or worse for the measure.
func verdict(dir int, cur, prev *float64) string {
	if cur == nil || prev == nil || dir == 0 {
		return ""
	}
	d := *cur - *prev
	if math.Abs(d) <= 1e-9*math.Max(1, math.Abs(*prev)) {
		return "same"
	}
	if (d > 0) == (dir > 0) {
		return "better"
	}
	return "worse"
}

package alerting

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Explanations are sentences a manager understands: the measure by its
// name, the scope, the values in the measure's unit, dates rather than step
// numbers, and the trend that makes the forecast.

// titles names measures the way people say them.
var titles = map[string]string{
	"deployments":                                    "Deployments",
	"deployment_frequency_per_day":                   "Deployment frequency",
	"change_lead_time_median_seconds":                "Median change lead time",
	"change_lead_time_p90_seconds":                   "90th percentile change lead time",
	"change_lead_time_samples":                       "Changes deployed",
	"change_failure_rate":                            "Change failure rate",
	"failed_deployment_recovery_time_median_seconds": "Median failed-deployment recovery time",
	"failed_deployments_unrecovered":                 "Unrecovered failed deployments",
	"rework_rate":                                    "Rework rate",
	"incidents_opened":                               "Incidents opened",
	"mttr_seconds":                                   "Mean time to restore",
}

// plural measures take "are".
var plural = map[string]bool{
	"deployments": true, "change_lead_time_samples": true,
	"failed_deployments_unrecovered": true, "incidents_opened": true,
}

// Title is the display name of a measure.
func Title(measure string) string {
	if t, ok := titles[measure]; ok {
		return t
	}
	s := measure
	for _, suf := range []string{"_seconds", "_per_day", "_ratio"} {
		s = strings.TrimSuffix(s, suf)
	}
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return measure
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func verb(measure string) string {
	if plural[measure] {
		return "are"
	}
	return "is"
}

// num writes v with at most d decimals, trailing zeros trimmed.
func num(v float64, d int) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// FormatValue writes a value in its measure's unit: 18%, 2.5 days, 1.4 a day.
func FormatValue(unit string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "no value"
	}
	switch unit {
	case "ratio":
		return num(v*100, 1) + "%"
	case "seconds":
		return humanDuration(v)
	case "per_day":
		return num(v, 2) + " a day"
	}
	return num(v, 1)
}

// humanDuration writes seconds in the largest sensible unit.
func humanDuration(sec float64) string {
	a := math.Abs(sec)
	unit := func(v float64, one, many string) string {
		s := num(v, 1)
		if s == "1" || s == "-1" {
			return s + " " + one
		}
		return s + " " + many
	}
	switch {
	case a < 3600:
		return unit(sec/60, "minute", "minutes")
	case a < 48*3600:
		return unit(sec/3600, "hour", "hours")
	}
	return unit(sec/86400, "day", "days")
}

// formatSlope writes a change per week: +1.2 points a week, -3 hours a week.
func formatSlope(unit string, perWeek float64) string {
	sign := "+"
	if perWeek < 0 {
		sign = "-"
	}
	a := math.Abs(perWeek)
	if FormatValue(unit, a) == FormatValue(unit, 0) {
		return "no clear change"
	}
	switch unit {
	case "ratio":
		s := num(a*100, 1)
		if s == "1" {
			return sign + s + " point a week"
		}
		return sign + s + " points a week"
	case "seconds":
		return sign + humanDuration(a) + " a week"
	case "per_day":
		return sign + num(a, 2) + " a day per week"
	}
	return sign + num(a, 1) + " a week"
}

// formatDate writes 10 December, with the year when it is not ref's.
func formatDate(t, ref time.Time) string {
	if t.Year() != ref.Year() {
		return t.Format("2 January 2006")
	}
	return t.Format("2 January")
}

// weeks writes a span in weeks: "8 weeks", "1 week", or days under a week.
func weeks(d time.Duration) string {
	w := float64(d) / float64(7*day)
	if w < 1 {
		n := int(math.Round(float64(d) / float64(day)))
		if n == 1 {
			return "1 day"
		}
		return strconv.Itoa(n) + " days"
	}
	s := num(w, 1)
	if s == "1" {
		return "1 week"
	}
	return s + " weeks"
}

// windowPhrase says which period a value covers: "on 14 November" for a
// day, "over the 28 days to 14 November" otherwise (the last day named).
func windowPhrase(window time.Duration, end, ref time.Time) string {
	last := end.Add(-day)
	if window <= day {
		return "on " + formatDate(last, ref)
	}
	return fmt.Sprintf("over the %s to %s", spanText(window), formatDate(last, ref))
}

// spanText writes a duration the way a window is said: 28 days, 6 hours.
func spanText(d time.Duration) string {
	switch {
	case d%day == 0:
		if d == day {
			return "day"
		}
		return strconv.Itoa(int(d/day)) + " days"
	case d%time.Hour == 0:
		if d == time.Hour {
			return "hour"
		}
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return d.String()
}

func scopeText(key string) string {
	if key == "" {
		return "the whole organisation"
	}
	return key
}

// thresholdText: "Change failure rate for payments is 22% over the last 28
// days, above the 15% threshold."
func thresholdText(measure, unit, key, op string, value, threshold float64, window time.Duration) string {
	side := "above"
	if op == "<" || op == "<=" {
		side = "below"
	}
	return fmt.Sprintf("%s for %s %s %s over the last %s, %s the %s threshold.",
		Title(measure), scopeText(key), verb(measure), FormatValue(unit, value), spanText(window), side, FormatValue(unit, threshold))
}

// forecastFacts are what a forecast explanation says.
type forecastFacts struct {
	Measure, Unit, Key string
	Above              bool
	Target             float64
	Last               float64   // latest observed value (NaN if none)
	Reach              float64   // forecast mean at the horizon
	By                 time.Time // end of the horizon
	SlopePerWeek       float64
	SlopeOK            bool
	TrendSpan          time.Duration
	Now                time.Time
}

// forecastText: "Change failure rate for payments is forecast to reach 18%
// by 10 December, above the 15% target: +1.2 points a week over 8 weeks."
func forecastText(f forecastFacts) string {
	side, move := "above", "reach"
	beyond := f.Last >= f.Target
	if !f.Above {
		side, move = "below", "fall to"
		beyond = f.Last <= f.Target
	}
	title, v := Title(f.Measure), verb(f.Measure)
	var b strings.Builder
	if !math.IsNaN(f.Last) && beyond {
		fmt.Fprintf(&b, "%s for %s %s already %s, %s the %s target, and forecast to %s %s by %s",
			title, scopeText(f.Key), v, FormatValue(f.Unit, f.Last), side, FormatValue(f.Unit, f.Target),
			move, FormatValue(f.Unit, f.Reach), formatDate(f.By, f.Now))
	} else {
		fmt.Fprintf(&b, "%s for %s %s forecast to %s %s by %s, %s the %s target",
			title, scopeText(f.Key), v, move, FormatValue(f.Unit, f.Reach), formatDate(f.By, f.Now),
			side, FormatValue(f.Unit, f.Target))
	}
	if f.SlopeOK {
		fmt.Fprintf(&b, ": %s over %s", formatSlope(f.Unit, f.SlopePerWeek), weeks(f.TrendSpan))
	}
	b.WriteString(".")
	return b.String()
}

// anomalyFacts are what an anomaly explanation says.
type anomalyFacts struct {
	Measure, Unit, Key string
	Up                 bool
	Method             string // ewma or cusum
	Latest             float64
	Mean, SD           float64
	Window             time.Duration
	End                time.Time // end of the latest window
	Since              time.Time // first signal of the current run
	Baseline           time.Duration
	Now                time.Time
}

// anomalyText: "Incidents opened for search are unusually high: 9 on 14
// November against a usual 1.5 ± 1.2 over the 9 weeks before; the CUSUM
// chart has flagged it since 12 November."
func anomalyText(f anomalyFacts) string {
	dir := "high"
	if !f.Up {
		dir = "low"
	}
	chart := strings.ToUpper(f.Method)
	usual := FormatValue(f.Unit, f.Mean) + " ± " + FormatValue(f.Unit, f.SD)
	if f.Unit == "per_day" {
		usual = num(f.Mean, 2) + " ± " + FormatValue(f.Unit, f.SD)
	}
	return fmt.Sprintf("%s for %s %s unusually %s: %s %s against a usual %s over the %s before; the %s chart has flagged it since %s.",
		Title(f.Measure), scopeText(f.Key), verb(f.Measure), dir,
		FormatValue(f.Unit, f.Latest), windowPhrase(f.Window, f.End, f.Now),
		usual, weeks(f.Baseline), chart, formatDate(f.Since, f.Now))
}

// rateFacts are what a Poisson rate alert says.
type rateFacts struct {
	Measure, Unit, Key         string
	Up                         bool
	P                          float64 // the test's p-value
	Recent, BaselineCount      float64 // events counted
	RecentSteps, BaselineSteps int
	Step                       time.Duration
	End                        time.Time // end of the latest step
	Baseline                   time.Duration
	Now                        time.Time
}

// rateText: "Incidents opened for search are unusually high: 8 in the 14
// days to 19 November against a usual 0.7 a week over the 14 weeks before,
// 5.6 times the usual rate: a 1 in 1,200 chance if nothing had changed." A
// per-day measure is said in its unit: "0.07 a day over the 14 days to …".
func rateText(f rateFacts) string {
	dir := "high"
	if !f.Up {
		dir = "low"
	}
	span := time.Duration(f.RecentSteps) * f.Step
	recentRate := f.Recent / (float64(span) / float64(day))
	usualDaily := f.BaselineCount / (float64(time.Duration(f.BaselineSteps)*f.Step) / float64(day))
	var now, usual string
	if f.Unit == "per_day" {
		now = FormatValue(f.Unit, recentRate) + " " + windowPhrase(span, f.End, f.Now)
		usual = FormatValue(f.Unit, usualDaily)
	} else {
		now = num(f.Recent, 0) + " " + strings.Replace(windowPhrase(span, f.End, f.Now), "over the", "in the", 1)
		if f.Step%(7*day) == 0 {
			usual = num(usualDaily*7, 1) + " a week"
		} else {
			usual = num(usualDaily, 2) + " a day"
		}
	}
	chance := "less than a one in a million"
	if f.P >= 1e-6 {
		odds := 1 / f.P
		if odds >= 100 { // two significant figures: 1 in 2,400
			mag := math.Pow(10, math.Floor(math.Log10(odds))-1)
			odds = math.Round(odds/mag) * mag
		}
		chance = "a 1 in " + thousands(math.Round(odds))
	}
	ratio := num(recentRate/usualDaily, 1)
	if recentRate < usualDaily {
		ratio = num(recentRate/usualDaily, 2)
	}
	if usualDaily == 0 {
		return fmt.Sprintf("%s for %s %s unusually %s: %s against none over the %s before: %s chance if nothing had changed.",
			Title(f.Measure), scopeText(f.Key), verb(f.Measure), dir, now, weeks(f.Baseline), chance)
	}
	return fmt.Sprintf("%s for %s %s unusually %s: %s against a usual %s over the %s before, %s times the usual rate: %s chance if nothing had changed.",
		Title(f.Measure), scopeText(f.Key), verb(f.Measure), dir, now, usual, weeks(f.Baseline), ratio, chance)
}

// thousands writes a whole number with thousands separators: 2,400.
func thousands(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// burnText: "Change failure rate for checkout is spending its error budget
// 16.2 times as fast as a 95% objective allows over the last hour (15 times
// over the last 5 minutes), above the limit of 14.4: a 30-day budget would
// last 2 days."
func burnText(measure, key string, slo float64, w BurnWindow, long, short float64) string {
	last := "a 30-day budget would last " + humanDuration(30*86400/long) + "."
	return fmt.Sprintf("%s for %s is spending its error budget %s times as fast as a %s objective allows over the last %s (%s times over the last %s), above the limit of %s: %s",
		Title(measure), scopeText(key), num(long, 1), num(slo*100, 2)+"%", spanText(w.Long.D()),
		num(short, 1), spanText(w.Short.D()), num(w.Factor, 1), last)
}

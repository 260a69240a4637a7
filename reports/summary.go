package reports

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// The plain-language summary is written by this template from the numbers
// (no service is asked). Each paragraph ends with ¶; a sentence whose
// measure is not in the catalogue, or has nothing to measure, is left out.
const summaryTemplate = `
{{- if has "deployments" -}}
{{- if gt (val "deployments") 0.0 -}}
{{.Subject}} deployed to production {{times (val "deployments")}} in {{.Window}}
{{- with m "deployment_frequency_per_day"}}{{if .Value}} (successful: {{.Display}}{{tierc .}}){{end}}{{end}}
{{- with since (m "deployments")}}, {{.}} in the previous period{{end}}.
{{- else -}}
{{.Subject}} made no production deployments in {{.Window}}.
{{- end}}
{{- end}}
{{- with m "change_lead_time_median_seconds"}}{{if .Value}} The median lead time for changes was {{.Display}}{{tier .}}{{with since .}}, {{.}}{{end}}.{{end}}{{end}}
{{- with m "change_failure_rate"}}{{if .Value}} {{.Display}} of deployments failed or caused an incident{{tier .}}{{with since .}}, {{.}}{{end}}.{{end}}{{end}}
{{- with m "failed_deployment_recovery_time_median_seconds"}}{{if .Value}} Failed deployments recovered in a median of {{.Display}}{{tier .}}{{with since .}}, {{.}}{{end}}.{{end}}{{end}}
{{- with .Tiers}} Against the {{$.TierTable}} benchmarks it is {{.}}.{{end}}
¶
{{- if .Incidents.Opened}}{{plural .Incidents.Opened "incident was" "incidents were"}} opened{{with .Priorities}} ({{.}}){{end}}
{{- if .Incidents.CausedByDeployments}}, {{.Incidents.CausedByDeployments}} of them caused by a deployment{{end}};
{{- if .Incidents.OpenAtEnd}} {{.Incidents.OpenAtEnd}} {{if eq .Incidents.OpenAtEnd 1}}was{{else}}were{{end}} still open at the end of the period.{{else}} all were resolved by the end of the period.{{end}}
{{- else}}No incidents were opened.{{end}}
{{- with m "mttr_seconds"}}{{if .Value}} Incidents took {{.Display}} on average to resolve{{with since .}}, {{.}}{{end}}.{{end}}{{end}}
{{- if .Changes.Requests}} {{plural .Changes.Requests "change request was" "change requests were"}} raised{{with .Kinds}} ({{.}}){{end}}{{if .Changes.AutoApproved}}, {{.Changes.AutoApproved}} approved automatically{{end}}.{{end}}
¶
{{- with m "work_items_done"}}{{if .Value}}{{plural (int .Value) "work item was" "work items were"}} finished{{with since .}}, {{.}}{{end}}{{with m "flow_time_median_seconds"}}{{if .Value}}, with a median flow time of {{.Display}}{{end}}{{end}}.{{end}}{{end}}
¶
{{- with .Best}}The biggest improvement was {{.Group}}'s {{lower .Title}}: {{.PreviousDisplay}} to {{.Display}}.{{end}}
{{- with .Worst}} The biggest regression was {{.Group}}'s {{lower .Title}}: {{.PreviousDisplay}} to {{.Display}}.{{end}}
¶
{{- if .Forecasts.Available}}{{range .Forecasts.Items}}{{.Message}} {{end}}{{end}}
`

var spacesRE = regexp.MustCompile(`\s+`)

// summaryData is what the template reads.
type summaryData struct {
	*Report
	Subject    string
	Window     string
	Tiers      string
	Priorities string
	Kinds      string
	Best       *Move
	Worst      *Move
}

func summarise(rep *Report, byName map[string]Measure) ([]string, error) {
	funcs := template.FuncMap{
		"m":   func(name string) Measure { return byName[name] },
		"has": func(name string) bool { return byName[name].Value != nil },
		"val": func(name string) float64 {
			if v := byName[name].Value; v != nil {
				return *v
			}
			return 0
		},
		"int": func(v *float64) int { return int(math.Round(*v)) },
		"tier": func(m Measure) string {
			if m.Tier == nil || *m.Tier == "" {
				return ""
			}
			return " (" + *m.Tier + ")"
		},
		"tierc": func(m Measure) string {
			if m.Tier == nil || *m.Tier == "" {
				return ""
			}
			return ", " + *m.Tier
		},
		"since": since,
		"times": func(v float64) string {
			switch n := int(math.Round(v)); n {
			case 1:
				return "once"
			case 2:
				return "twice"
			default:
				return fmt.Sprintf("%d times", n)
			}
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return fmt.Sprintf("%d %s", n, many)
		},
		"lower": lowerFirst,
	}
	t, err := template.New("summary").Funcs(funcs).Parse(summaryTemplate)
	if err != nil {
		return nil, fmt.Errorf("summary template: %w", err)
	}
	loc, err := time.LoadLocation(rep.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	d := summaryData{Report: rep, Subject: rep.Scope.Subject(), Window: rep.Window.phrase(loc), Tiers: tierOverview(rep.Headlines)}
	var prio []string
	for _, c := range rep.Incidents.ByPriority {
		prio = append(prio, fmt.Sprintf("%s: %d", c.Key, c.Count))
	}
	d.Priorities = strings.Join(prio, ", ")
	var kinds []string
	for _, c := range rep.Changes.ByKind {
		kinds = append(kinds, fmt.Sprintf("%d %s", c.Count, c.Key))
	}
	d.Kinds = strings.Join(kinds, ", ")
	if len(rep.Movers.Improvements) > 0 {
		d.Best = &rep.Movers.Improvements[0]
	}
	if len(rep.Movers.Regressions) > 0 {
		d.Worst = &rep.Movers.Regressions[0]
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	var out []string
	for _, p := range strings.Split(b.String(), "¶") {
		if p = strings.TrimSpace(spacesRE.ReplaceAllString(p, " ")); p != "" {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// since compares with the previous period: "up from 1.2 days", "down
// from 14%", "unchanged"; "" when either value is missing.
func since(m Measure) string {
	if m.Value == nil || m.Previous == nil {
		return ""
	}
	switch c := change(m.Unit, m.Value, m.Previous); {
	case c == "no change":
		return "unchanged from the previous period"
	case m.Display == m.PreviousDisplay:
		return "about the same as in the previous period"
	case *m.Value > *m.Previous:
		return "up from " + m.PreviousDisplay
	default:
		return "down from " + m.PreviousDisplay
	}
}

// tierOverview groups the headline measures by tier: "elite for
// deployment frequency and lead time for changes, and low for change
// failure rate".
func tierOverview(ms []Measure) string {
	by := map[string][]string{}
	for _, m := range ms {
		if m.Tier == nil || *m.Tier == "" {
			continue
		}
		t := strings.TrimSuffix(lowerFirst(m.Title), " (median)")
		by[*m.Tier] = append(by[*m.Tier], t)
	}
	var parts []string
	for _, tier := range []string{"elite", "high", "medium", "low"} {
		if len(by[tier]) > 0 {
			parts = append(parts, tier+" for "+andList(by[tier]))
		}
	}
	return strings.Join(parts, "; ")
}

// lowerFirst lowers a title's first letter for the middle of a sentence,
// unless it starts an acronym ("SLA compliance").
func lowerFirst(s string) string {
	if len(s) < 2 || (s[1] >= 'A' && s[1] <= 'Z') {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func andList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

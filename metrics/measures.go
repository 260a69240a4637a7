package metrics

// Definition describes one measure: its name (the API key), its unit and
// what it means. The Prometheus name derives from it (see PromName).
type Definition struct {
	Name        string
	Unit        string // "count", "per_day", "seconds", "ratio"
	Family      string // "dora", "itsm", "flow"
	Description string
}

// Definitions is the measure catalogue, in presentation order.
var Definitions = []Definition{
	{"deployments", "count", "dora", "Production deployments in the window, any outcome."},
	{"deployment_frequency_per_day", "per_day", "dora", "Successful production deployments per day."},
	{"change_lead_time_median_seconds", "seconds", "dora", "Median time from commit to its first successful production deployment."},
	{"change_lead_time_p90_seconds", "seconds", "dora", "90th percentile of change lead time."},
	{"change_lead_time_samples", "count", "dora", "Commit-deployment pairs behind the lead time."},
	{"change_failure_rate", "ratio", "dora", "Share of production deployments that failed or caused an incident."},
	{"failed_deployment_recovery_time_median_seconds", "seconds", "dora", "Median time from a failed deployment to its recovery."},
	{"failed_deployments_unrecovered", "count", "dora", "Failed production deployments in the window not yet recovered."},
	{"rework_rate", "ratio", "dora", "Share of production deployments that were unplanned (rollback, hotfix, incident fix)."},
}

// Definition returns the named definition.
func Lookup(name string) (Definition, bool) {
	for _, d := range Definitions {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}

// PromName is the Prometheus metric name of a measure, after Prometheus
// conventions: base units in the name, _ratio for fractions.
func PromName(d Definition) string {
	n := "throughline_" + d.Name
	if d.Unit == "ratio" {
		n += "_ratio"
	}
	return n
}

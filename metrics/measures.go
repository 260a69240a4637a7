package metrics

import "strings"

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

	{"incidents_opened", "count", "itsm", "Incidents opened in the window."},
	{"mtta_seconds", "seconds", "itsm", "Mean time from opening to first acknowledgement, over incidents first acknowledged in the window."},
	{"mttr_seconds", "seconds", "itsm", "Mean time from opening to last resolution, over incidents last resolved in the window."},
	{"incident_resolution_median_seconds", "seconds", "itsm", "Median incident resolution time."},
	{"incident_resolution_p90_seconds", "seconds", "itsm", "90th percentile of incident resolution time."},
	{"first_time_fix_rate", "ratio", "itsm", "Share of incidents resolved in the window that were never reopened."},
	{"sla_compliance_rate", "ratio", "itsm", "Share of resolved incidents (with a target for their priority) resolved within it."},
	{"self_heal_rate", "ratio", "itsm", "Share of resolved incidents whose last resolution was automated."},
	{"change_requests_closed", "count", "itsm", "Change requests closed in the window."},
	{"change_success_rate", "ratio", "itsm", "Share of closed change requests whose outcome was success."},
	{"emergency_change_ratio", "ratio", "itsm", "Share of change requests created in the window that were emergency changes."},
	{"standard_change_ratio", "ratio", "itsm", "Share of change requests created in the window that were standard (pre-approved) changes."},
	{"change_approval_lead_time_median_seconds", "seconds", "itsm", "Median time from change request creation to first approval (ITIL friction)."},
	{"automated_approval_ratio", "ratio", "itsm", "Share of change approvals in the window given by automation or policy."},

	{"work_items_done", "count", "flow", "Work items done in the window (flow velocity)."},
	{"flow_time_median_seconds", "seconds", "flow", "Median time from start (or creation) to done, over items done in the window."},
	{"flow_load", "count", "flow", "Work items in progress at the end of the window."},
	{"flow_distribution_feature", "ratio", "flow", "Share of items done that were features."},
	{"flow_distribution_defect", "ratio", "flow", "Share of items done that were defects."},
	{"flow_distribution_risk", "ratio", "flow", "Share of items done that were risks."},
	{"flow_distribution_debt", "ratio", "flow", "Share of items done that were debt."},
	{"time_to_market_median_seconds", "seconds", "flow", "Median time from a work item's creation to the first production deployment of its first commit."},
}

// Lookup returns the named definition.
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
	if d.Unit == "ratio" && !strings.HasSuffix(n, "_ratio") {
		n += "_ratio"
	}
	return n
}

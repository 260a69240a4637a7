package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// Dashboard is one generated dashboard.
type Dashboard struct {
	UID   string
	Title string
	// JSON is the dashboard model, indented, ending in a newline: what
	// provisioning reads and the API serves.
	JSON []byte
}

// UIDs of the dashboards, in presentation order.
const (
	UIDExecutive = "throughline-executive"
	UIDDelivery  = "throughline-delivery"
	UIDService   = "throughline-service-management"
	UIDFlow      = "throughline-flow"
	UIDSelf      = "throughline-self"
)

// Build generates every dashboard. The result depends only on o, so the
// committed copies under deploy/grafana/dashboards can be checked.
func Build(o Options) ([]Dashboard, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	var out []Dashboard
	for _, f := range []func(Options) (dashboard.Dashboard, error){executive, delivery, serviceManagement, flow, self} {
		d, err := f(o)
		if err != nil {
			return nil, err
		}
		b, err := encode(d)
		if err != nil {
			return nil, err
		}
		if _, err := Read(b); err != nil {
			return nil, fmt.Errorf("dashboard %s does not read back: %w", *d.Uid, err)
		}
		out = append(out, Dashboard{UID: *d.Uid, Title: *d.Title, JSON: b})
	}
	return out, nil
}

func encode(d dashboard.Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // PromQL and SQL keep their < and >
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode dashboard %s: %w", *d.Uid, err)
	}
	return buf.Bytes(), nil
}

// registerPlugins tells the SDK's runtime (a process-wide registry the SDK
// owns) how to read panels and queries back, the ClickHouse query included.
// Registration is idempotent; it runs once per process.
var registerPlugins = sync.OnceFunc(func() {
	plugins.RegisterDefaultPlugins()
	cog.NewRuntime().RegisterDataqueryVariant(ClickHouseVariantConfig())
})

// Read decodes a dashboard strictly, as the SDK's strict unmarshalling
// does: an unknown field, a missing required one or a wrong type is an
// error, in the dashboard, its panels, their options and their queries.
//
// The strict pass only checks: in v0.0.22 it returns each panel's empty
// error list as a non-nil error, so a panel that reads back cleanly is
// dropped from its result. The dashboard returned is therefore decoded a
// second time with the SDK's ordinary unmarshalling.
func Read(b []byte) (*dashboard.Dashboard, error) {
	registerPlugins()
	var strict dashboard.Dashboard
	if err := sdkError(strict.UnmarshalJSONStrict(b)); err != nil {
		return nil, err
	}
	var d dashboard.Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	if err := sdkError(d.Validate()); err != nil {
		return nil, err
	}
	return &d, nil
}

// sdkError undoes a typed nil: the SDK returns its error list as a
// cog.BuildErrors even when the list is empty.
func sdkError(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// Write writes each dashboard to dir/<uid>.json, creating dir.
func Write(dir string, ds []Dashboard) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dashboards: %w", err)
	}
	for _, d := range ds {
		p := filepath.Join(dir, d.UID+".json")
		if err := os.WriteFile(p, d.JSON, 0o644); err != nil {
			return fmt.Errorf("dashboards: write %s: %w", p, err)
		}
	}
	return nil
}

func executive(o Options) (dashboard.Dashboard, error) {
	b := newBoard(o, UIDExecutive, "Throughline: executive overview",
		"The DORA keys with their tiers, the service-management and flow measures at a glance, with the change over the time range, and the teams that most need help or improved most.")
	b.datasources(false)
	if err := b.scope(false); err != nil {
		return dashboard.Dashboard{}, err
	}
	order, groups := byFamily(o.Definitions)
	for _, f := range order {
		b.row(familyTitle(f))
		for _, d := range groups[f] {
			b.statPanel(d)
		}
	}
	b.row("Teams")
	for _, d := range o.Definitions {
		if len(o.Tiers.Measures[d.Name]) == 0 {
			continue
		}
		b.rankPanel(d, false)
		b.rankPanel(d, true)
	}
	return b.build()
}

// perService adds a row of per-service time series for one family.
func (b *board) perService(family, rowTitle string) {
	_, groups := byFamily(b.o.Definitions)
	if len(groups[family]) == 0 {
		return
	}
	b.row(rowTitle)
	for _, d := range groups[family] {
		b.timeseriesPanel(d)
	}
}

func delivery(o Options) (dashboard.Dashboard, error) {
	b := newBoard(o, UIDDelivery, "Throughline: delivery",
		"DORA per service and team, and drill-down to the deployments, the changes and their lead times, and the failures.")
	b.datasources(true)
	if err := b.scope(true); err != nil {
		return dashboard.Dashboard{}, err
	}
	b.perService("dora", "DORA per service")
	b.row("Drill-down")
	for _, t := range [][3]string{
		{"deployments", "Deployments", "Deployments in the time range, with the incidents that name them."},
		{"changes", "Changes and their lead times", "Commits at their first successful deployment of their service to the selected environments, with the lead time the change lead time measure counts."},
		{"failures", "Failed deployments and their recovery", "Deployments that failed or caused an incident, and when they recovered."},
	} {
		if err := b.drilldown(t[0], t[1], t[2]); err != nil {
			return dashboard.Dashboard{}, err
		}
	}
	return b.build()
}

func serviceManagement(o Options) (dashboard.Dashboard, error) {
	b := newBoard(o, UIDService, "Throughline: service management",
		"Incidents, MTTA and MTTR, first-time fix, SLA compliance, self-healing, change success and approval friction by change type.")
	b.datasources(true)
	if err := b.scope(true); err != nil {
		return dashboard.Dashboard{}, err
	}
	b.perService("itsm", "Service management per service")
	b.row("Drill-down")
	for _, t := range [][3]string{
		{"incidents", "Incidents", "Incidents opened in the time range: acknowledgement, resolution, reopening, self-healing, and the deployment that caused them."},
		{"change_requests", "Change requests by kind", "Change requests created in the time range, by kind (standard, normal, emergency), with the approval wait: ITIL friction."},
	} {
		if err := b.drilldown(t[0], t[1], t[2]); err != nil {
			return dashboard.Dashboard{}, err
		}
	}
	return b.build()
}

func flow(o Options) (dashboard.Dashboard, error) {
	b := newBoard(o, UIDFlow, "Throughline: flow",
		"Portfolio demand, velocity, flow time, load and distribution, time to market.")
	b.datasources(true)
	if err := b.scope(true); err != nil {
		return dashboard.Dashboard{}, err
	}
	b.perService("flow", "Flow per service")
	b.row("Drill-down")
	if err := b.drilldown("work_items", "Work items done", "Work items done in the time range, by kind, with their flow time."); err != nil {
		return dashboard.Dashboard{}, err
	}
	return b.build()
}

func self(o Options) (dashboard.Dashboard, error) {
	b := newBoard(o, UIDSelf, "Throughline: itself",
		"Ingest rates, rejections, spool depth, write and query latency, measure computation and collector health.")
	b.datasources(false)
	b.b.Time("now-6h", "now").Refresh("1m")
	q := func(ref, expr, legend string) *prometheus.DataqueryBuilder { return promQuery(ref, expr, legend) }
	b.row("Ingest")
	b.health("Events accepted per second, by source", "Events accepted by the API, webhooks and collectors.", "ops",
		q("A", `sum by (source) (rate(throughline_ingest_events_accepted_total[$__rate_interval]))`, "{{source}}"))
	b.health("Events rejected per second, by reason", "Rejected events; the reason names the field.", "ops",
		q("A", `sum by (reason) (rate(throughline_ingest_events_rejected_total[$__rate_interval]))`, "{{reason}}"))
	b.health("Batch write latency", "Time to write one batch to ClickHouse.", "s",
		q("A", `histogram_quantile(0.5, sum by (le) (rate(throughline_ingest_write_duration_seconds_bucket[$__rate_interval])))`, "p50"),
		q("B", `histogram_quantile(0.99, sum by (le) (rate(throughline_ingest_write_duration_seconds_bucket[$__rate_interval])))`, "p99"))
	b.health("Spool depth", "Events waiting in the durable spool: above zero while ClickHouse cannot take writes.", "short",
		q("A", `sum by (instance) (throughline_ingest_spool_events)`, "{{instance}}"))
	b.row("Queries and measures")
	b.health("Measure query latency (p95), by query", "Time to run one measure query.", "s",
		q("A", `histogram_quantile(0.95, sum by (le, query) (rate(throughline_query_duration_seconds_bucket[$__rate_interval])))`, "{{query}}"))
	b.health("Measures up and their age", "1 when the last computation of the exported measures succeeded; age of the last good one.", "short",
		q("A", `min(throughline_measures_up)`, "up"),
		q("B", `max(time() - throughline_measures_computed_timestamp_seconds)`, "age (s)"))
	b.row("Alerts and runbooks")
	b.health("Alerts firing and pending, by rule", "Throughline's own alerts (threshold, forecast, anomaly, burn rate): their explanations are at /api/v1/alerts.", "short",
		q("A", `sum by (rule, severity) (throughline_alerts{state="firing"})`, "firing: {{rule}} ({{severity}})"),
		q("B", `sum by (rule) (throughline_alerts{state="pending"})`, "pending: {{rule}}"))
	b.health("Notifications and runbook calls, by outcome", "Delivery attempts per second: delivered, retry, dead (dead-lettered), dropped.", "ops",
		q("A", `sum by (kind, outcome) (rate(throughline_alert_deliveries_total[$__rate_interval]))`, "{{kind}} {{outcome}}"))
	b.health("Runbook decisions, last hour, by trigger", "Fired, suppressed (dedupe, cooldown, rate limits, kill switch), awaiting approval, dry run: the audit trail is at /api/v1/alerts/audit.", "short",
		q("A", `sum by (trigger, decision) (increase(throughline_alert_actions_total[1h]))`, "{{trigger}}: {{decision}}"))
	b.health("Outbox and rule evaluations", "Notifications and runbook calls waiting to be delivered; rule evaluations in the last hour, by result (ok, error).", "short",
		q("A", `sum(throughline_alert_outbox_jobs)`, "outbox"),
		q("B", `sum by (result) (increase(throughline_alert_rule_evaluations_total[1h]))`, "evaluations: {{result}}"))
	b.row("Collectors")
	b.health("Collector health: events per source, last hour", "A source whose line drops to zero has gone quiet: check its webhook or poller.", "short",
		q("A", `sum by (source) (increase(throughline_ingest_events_accepted_total[1h]))`, "{{source}}"))
	b.health("Builds running", "Version and engine of each Throughline instance.", "short",
		q("A", `sum by (version, engine) (throughline_build_info)`, "{{version}} ({{engine}})"))
	return b.build()
}

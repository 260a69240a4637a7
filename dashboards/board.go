package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// Tag is on every Throughline dashboard; the dashboard links use it.
const Tag = "throughline"

// Data sources as the panels reference them: through the dashboard's data
// source variables, so a user can point a dashboard at other instances.
var (
	promDS = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${prometheus}")}
	chDS   = common.DataSourceRef{Type: cog.ToPtr(ClickHousePluginID), Uid: cog.ToPtr("${clickhouse}")}
)

// board is one dashboard under construction. Panel ids are assigned in
// order, so the JSON is stable from run to run.
type board struct {
	o      Options
	b      *dashboard.DashboardBuilder
	nextID uint32
}

func newBoard(o Options, uid, name, description string) *board {
	b := dashboard.NewDashboardBuilder(name).
		Uid(uid).
		Description(description).
		Tags([]string{Tag}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Time("now-30d", "now").
		Timezone("utc").
		Refresh("5m").
		Link(dashboard.NewDashboardLinkBuilder("Throughline").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true).
			Icon("external link").
			Tooltip("").
			TargetBlank(false))
	return &board{o: o, b: b}
}

func (b *board) id() uint32 {
	b.nextID++
	return b.nextID
}

func (b *board) row(title string) {
	b.b.WithRow(dashboard.NewRowBuilder(title).Id(b.id()))
}

// datasources adds the two data source drop-downs.
func (b *board) datasources(clickhouse bool) {
	b.b.WithVariable(dashboard.NewDatasourceVariableBuilder("prometheus").
		Label("Prometheus").
		Type("prometheus").
		Current(option(b.o.PrometheusUID)))
	if clickhouse {
		b.b.WithVariable(dashboard.NewDatasourceVariableBuilder("clickhouse").
			Label("ClickHouse").
			Type(ClickHousePluginID).
			Current(option(b.o.ClickHouseUID)))
		b.b.WithVariable(dashboard.NewConstantVariableBuilder("database").
			Label("ClickHouse database").
			Description("The Throughline database in ClickHouse; edit the constant if yours differs.").
			Value(dashboard.StringOrMap{String: cog.ToPtr(b.o.Database)}))
	}
}

// scope adds the team, product and service drop-downs, read from the
// labels of the exported measures (the catalog's mapping, so they cascade),
// and, for dashboards with drill-downs, the environment drop-down read
// from ClickHouse.
func (b *board) scope(environment bool) error {
	const metric = "throughline_deployments"
	for _, v := range []struct{ name, label, query string }{
		{"team", "Team", fmt.Sprintf("label_values(%s, team)", metric)},
		{"product", "Product", fmt.Sprintf(`label_values(%s{team=~"$team"}, product)`, metric)},
		{"service", "Service", fmt.Sprintf(`label_values(%s{team=~"$team", product=~"$product"}, service)`, metric)},
	} {
		b.b.WithVariable(dashboard.NewQueryVariableBuilder(v.name).
			Label(v.label).
			Datasource(promDS).
			Query(dashboard.StringOrMap{String: cog.ToPtr(v.query)}).
			Definition(v.query).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).
			IncludeAll(true).
			Current(allOption()))
	}
	if environment {
		sql, err := queries.DashboardSQL("environments", "${database}")
		if err != nil {
			return err
		}
		b.b.WithVariable(dashboard.NewQueryVariableBuilder("environment").
			Label("Environment").
			Description("Drill-downs only: the measures count the configured production environments.").
			Datasource(chDS).
			Query(dashboard.StringOrMap{String: cog.ToPtr(sql)}).
			Definition(sql).
			Refresh(dashboard.VariableRefreshOnDashboardLoad).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).
			IncludeAll(true).
			Current(allOption()))
	}
	return nil
}

func option(v string) dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr(v)},
		Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(v)},
	}
}

func allOption() dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
	}
}

func promQuery(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Datasource(promDS).Expr(expr).LegendFormat(legend)
}

// statPanel is a measure at a glance: its overview value over the range,
// the change since the range's start (the rolling window a range ago: the
// previous period), tier colours where the measure has tiers.
func (b *board) statPanel(d metrics.Definition) {
	expr, suffix := overview(d)
	mode := common.PercentChangeColorModeSameAsValue
	switch better(d, b.o.Tiers) {
	case 1:
		mode = common.PercentChangeColorModeStandard
	case -1:
		mode = common.PercentChangeColorModeInverted
	}
	b.b.WithPanel(stat.NewPanelBuilder().
		Id(b.id()).
		Title(title(d) + suffix).
		Description(d.Description + " Each point is the rolling window ending then; the change is against the start of the time range (with the default 30 days: the previous period).").
		Datasource(promDS).
		WithTarget(promQuery("A", expr, title(d)).Range()).
		Unit(unit(d)).
		Thresholds(thresholds(d, b.o.Tiers)).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeArea).
		ShowPercentChange(true).
		PercentChangeColorMode(mode).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Span(6).Height(5))
}

// timeseriesPanel is a measure per service over time, with its tier
// bounds drawn as dashed lines.
func (b *board) timeseriesPanel(d metrics.Definition) {
	p := timeseries.NewPanelBuilder().
		Id(b.id()).
		Title(title(d)).
		Description(d.Description + " Each point is the rolling window ending then (label window).").
		Datasource(promDS).
		WithTarget(promQuery("A", series(d), "{{team}} / {{service}}")).
		Unit(unit(d)).
		Thresholds(thresholds(d, b.o.Tiers)).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementRight).
			ShowLegend(true).
			Calcs([]string{"lastNotNull"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
		Span(12).Height(8)
	if len(b.o.Tiers.Measures[d.Name]) > 0 {
		p.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
	}
	b.b.WithPanel(p)
}

// rankPanel ranks teams on a tiered measure: the worst five now, or the
// five that moved most in the right direction over the range.
func (b *board) rankPanel(d metrics.Definition, improved bool) {
	dir := better(d, b.o.Tiers)
	// A team's value is its median service (medians do not add up).
	perTeam := fmt.Sprintf("quantile by (team) (0.5, %s)", series(d))
	name, fn := "Worst teams", "topk"
	if dir > 0 {
		fn = "bottomk"
	}
	if improved {
		name = "Most improved teams"
		perTeam = fmt.Sprintf("quantile by (team) (0.5, max by (service, team, product) (delta(%s[$__range])))", selector(d))
		fn = "bottomk"
		if dir > 0 {
			fn = "topk"
		}
	}
	p := bargauge.NewPanelBuilder().
		Id(b.id()).
		Title(name + ": " + strings.ToLower(title(d)[:1]) + title(d)[1:]).
		Description("Teams by their median service. " + d.Description).
		Datasource(promDS).
		WithTarget(promQuery("A", fmt.Sprintf("%s(5, %s)", fn, perTeam), "{{team}}").Instant()).
		Unit(unit(d)).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Span(12).Height(7)
	if improved {
		p.Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
			Steps([]dashboard.Threshold{{Color: "blue"}}))
	} else {
		p.Thresholds(thresholds(d, b.o.Tiers))
	}
	b.b.WithPanel(p)
}

// drilldown is a ClickHouse table of one statement of
// queries/sql/dashboards. Columns ending in _seconds show as durations.
func (b *board) drilldown(name, panelTitle, description string) error {
	sql, err := queries.DashboardSQL(name, "${database}")
	if err != nil {
		return err
	}
	b.b.WithPanel(table.NewPanelBuilder().
		Id(b.id()).
		Title(panelTitle).
		Description(description+" Source: queries/sql/dashboards/"+name+".sql.").
		Datasource(chDS).
		WithTarget(NewClickHouseQuery(sql).RefId("A").Datasource(chDS)).
		Filterable(true).
		// The footer counts the rows. (The SDK's default footer has a null
		// reducer, which its own strict reader refuses.)
		Footer(common.NewTableFooterOptionsBuilder().Show(true).CountRows(true).Reducer([]string{"count"})).
		OverrideByRegexp(".*_seconds", []dashboard.DynamicConfigValue{{Id: "unit", Value: "s"}}).
		Span(24).Height(10))
	return nil
}

// health is a time series of Throughline's own metrics.
func (b *board) health(panelTitle, description, unitID string, targets ...*prometheus.DataqueryBuilder) {
	p := timeseries.NewPanelBuilder().
		Id(b.id()).
		Title(panelTitle).
		Description(description).
		Datasource(promDS).
		Unit(unitID).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
		Span(12).Height(8)
	for _, t := range targets {
		p.WithTarget(t)
	}
	b.b.WithPanel(p)
}

func (b *board) build() (dashboard.Dashboard, error) { return b.b.Build() }

// compile-time check that the query builders fit panels.
var _ cog.Builder[variants.Dataquery] = (*prometheus.DataqueryBuilder)(nil)

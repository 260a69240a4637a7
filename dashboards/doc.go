// Package dashboards builds Throughline's Grafana dashboards as code with the
// grafana-foundation-sdk: the executive overview, delivery (DORA),
// service management, flow, and Throughline's own health. It serves them
// on the API (Mount), and `throughline dashboards --out DIR` writes them for
// provisioning (deploy/grafana).
//
// Time-series and stat panels read the Prometheus metrics that
// metrics.Exporter publishes; panels are generated from
// metrics.Definitions, so a new measure appears without a dashboard edit.
// Drill-down tables read ClickHouse through the official ClickHouse plugin
// (grafana-clickhouse-datasource), with SQL from the query layer
// (queries.DashboardSQL). This package holds no measure maths and no SQL of
// its own: it arranges panels.
package dashboards

package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/throughline/throughline/dashboards"
)

// dashboardsCmd writes the generated Grafana dashboards, one <uid>.json
// each, for Grafana's file provisioning (deploy/grafana holds the
// committed copies and the provisioning files that read them).
func dashboardsCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dashboards", "Writes Throughline's Grafana dashboards (executive overview, delivery, service\n"+
		"management, flow, Throughline itself) as JSON, one <uid>.json per dashboard, for\n"+
		"provisioning. They read Prometheus (the measures on /metrics) and ClickHouse through\n"+
		"the grafana-clickhouse-datasource plugin (drill-downs).", stderr)
	out := fs.String("out", "", "directory to write the dashboards to (created if missing)")
	database := fs.String("database", "throughline", "ClickHouse database the drill-downs read")
	prom := fs.String("prometheus-uid", "throughline-prometheus", "uid of the Prometheus data source selected by default")
	ch := fs.String("clickhouse-uid", "throughline-clickhouse", "uid of the ClickHouse data source selected by default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out: give the directory to write the dashboards to")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	ds, err := dashboards.Build(dashboards.Options{Database: *database, PrometheusUID: *prom, ClickHouseUID: *ch})
	if err != nil {
		return err
	}
	if err := dashboards.Write(*out, ds); err != nil {
		return err
	}
	for _, d := range ds {
		fmt.Fprintf(stdout, "%s/%s.json  %s\n", *out, d.UID, d.Title)
	}
	return nil
}

package dashboards

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/throughline/throughline/metrics"
)

// Options configure the dashboards. The zero value is valid.
type Options struct {
	// Definitions are the measures to show (default metrics.Definitions).
	Definitions []metrics.Definition
	// Tiers colour the tiered measures (default: the 2023 DORA table).
	Tiers *metrics.TierTable
	// Database is the ClickHouse database the drill-downs read, the value
	// of the hidden ${database} constant (default "throughline").
	Database string
	// PrometheusUID and ClickHouseUID are the data sources selected by
	// default; deploy/grafana provisions them under these uids (defaults
	// "throughline-prometheus" and "throughline-clickhouse"). Users pick
	// others from the data source drop-downs.
	PrometheusUID string
	ClickHouseUID string
}

var (
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
	uidRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
)

func (o Options) withDefaults() (Options, error) {
	if o.Definitions == nil {
		o.Definitions = metrics.Definitions
	}
	if o.Tiers == nil {
		t, err := metrics.LoadTierTable(2023)
		if err != nil {
			return o, err
		}
		o.Tiers = t
	}
	if o.Database == "" {
		o.Database = "throughline"
	}
	if o.PrometheusUID == "" {
		o.PrometheusUID = "throughline-prometheus"
	}
	if o.ClickHouseUID == "" {
		o.ClickHouseUID = "throughline-clickhouse"
	}
	return o, o.Validate()
}

// Validate names the first bad option.
func (o Options) Validate() error {
	if o.Database != "" && !identRE.MatchString(o.Database) {
		return fmt.Errorf("dashboards: Options.Database %q must match %s", o.Database, identRE)
	}
	for name, uid := range map[string]string{"PrometheusUID": o.PrometheusUID, "ClickHouseUID": o.ClickHouseUID} {
		if uid != "" && !uidRE.MatchString(uid) {
			return fmt.Errorf("dashboards: Options.%s %q must match %s (Grafana uids)", name, uid, uidRE)
		}
	}
	seen := map[string]bool{}
	for i, d := range o.Definitions {
		if d.Name == "" {
			return errors.New("dashboards: Options.Definitions[" + fmt.Sprint(i) + "] has no name")
		}
		if seen[d.Name] {
			return fmt.Errorf("dashboards: measure %s is defined twice", d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

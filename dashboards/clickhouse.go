package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// ClickHousePluginID is the official ClickHouse data source plugin.
const ClickHousePluginID = "grafana-clickhouse-datasource"

// ClickHousePluginVersion is the plugin version the queries are written
// for (the v4 query model: editorType, rawSql, format, queryType).
const ClickHousePluginVersion = "4.10.1"

// ClickHouse query formats of the v4 plugin (sqlds' FormatQueryOption).
const (
	FormatTimeSeries = 0
	FormatTable      = 1
)

// ClickHouseQuery is a query of the ClickHouse plugin in SQL editor mode.
// The foundation SDK ships no type for this plugin; this one implements its
// dataquery variant so dashboards holding it build, marshal and re-read
// strictly like any core query.
type ClickHouseQuery struct {
	RefId         *string               `json:"refId,omitempty"`
	Hide          *bool                 `json:"hide,omitempty"`
	Datasource    *common.DataSourceRef `json:"datasource,omitempty"`
	EditorType    string                `json:"editorType"`
	QueryType     string                `json:"queryType"`
	Format        int                   `json:"format"`
	RawSql        string                `json:"rawSql"`
	PluginVersion string                `json:"pluginVersion"`
}

// ImplementsDataqueryVariant marks ClickHouseQuery as a dataquery.
func (ClickHouseQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin id.
func (ClickHouseQuery) DataqueryType() string { return ClickHousePluginID }

// Validate checks what the plugin needs to run the query.
func (q ClickHouseQuery) Validate() error {
	var errs []error
	if q.EditorType != "sql" {
		errs = append(errs, fmt.Errorf("editorType %q: only sql is generated", q.EditorType))
	}
	if q.RawSql == "" {
		errs = append(errs, errors.New("rawSql is empty"))
	}
	if q.Format != FormatTable && q.Format != FormatTimeSeries {
		errs = append(errs, fmt.Errorf("format %d is not table (1) or time series (0)", q.Format))
	}
	if q.PluginVersion == "" {
		errs = append(errs, errors.New("pluginVersion is empty"))
	}
	return errors.Join(errs...)
}

// Equals compares two dataqueries.
func (q ClickHouseQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(ClickHouseQuery)
	if !ok {
		if p, isPtr := other.(*ClickHouseQuery); isPtr && p != nil {
			o, ok = *p, true
		}
	}
	return ok && reflect.DeepEqual(q, o)
}

// UnmarshalJSONStrict decodes a query, refusing unknown fields.
func (q *ClickHouseQuery) UnmarshalJSONStrict(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var v ClickHouseQuery
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("clickhouse query: %w", err)
	}
	if err := v.Validate(); err != nil {
		return fmt.Errorf("clickhouse query: %w", err)
	}
	*q = v
	return nil
}

// ClickHouseVariantConfig tells the SDK's runtime how to read
// ClickHouseQuery targets back (see registerPlugins).
func ClickHouseVariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: ClickHousePluginID,
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q ClickHouseQuery
			if err := json.Unmarshal(raw, &q); err != nil {
				return nil, err
			}
			return q, nil
		},
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q ClickHouseQuery
			if err := q.UnmarshalJSONStrict(raw); err != nil {
				return nil, err
			}
			return q, nil
		},
	}
}

var _ cog.Builder[variants.Dataquery] = (*ClickHouseQueryBuilder)(nil)

// ClickHouseQueryBuilder builds a ClickHouseQuery in SQL mode.
type ClickHouseQueryBuilder struct {
	q ClickHouseQuery
}

// NewClickHouseQuery starts a table-format SQL query.
func NewClickHouseQuery(rawSQL string) *ClickHouseQueryBuilder {
	return &ClickHouseQueryBuilder{q: ClickHouseQuery{
		EditorType: "sql", QueryType: "table", Format: FormatTable,
		RawSql: rawSQL, PluginVersion: ClickHousePluginVersion,
	}}
}

// RefId names the query within its panel.
func (b *ClickHouseQueryBuilder) RefId(id string) *ClickHouseQueryBuilder {
	b.q.RefId = &id
	return b
}

// Datasource sets the ClickHouse data source.
func (b *ClickHouseQueryBuilder) Datasource(ref common.DataSourceRef) *ClickHouseQueryBuilder {
	b.q.Datasource = &ref
	return b
}

// Build implements cog.Builder.
func (b *ClickHouseQueryBuilder) Build() (variants.Dataquery, error) {
	if err := b.q.Validate(); err != nil {
		return nil, cog.MakeBuildErrors("clickhouseQuery", err)
	}
	return b.q, nil
}

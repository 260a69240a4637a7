// Package metrics owns the measure catalogue (names, units, definitions,
// tier tables), computes measures through the queries layer for a window,
// a scope and a grouping, and exports them to Prometheus.
//
// The maths of each measure lives in the SQL it runs (queries/sql/measures)
// plus the small arithmetic here over the rows that SQL returns (ratios,
// per-day rates, null when there is nothing to measure); it is never copied
// elsewhere. It does not parse payloads or know HTTP.
package metrics

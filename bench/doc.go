// Package bench holds Throughline's end-to-end benchmarks (`make bench`):
// ingest through POST /api/v1/events as a ratio to inserting the same rows
// straight into ClickHouse in the same run, and the latency of the measures
// query grouped by service over 1M and 10M demo events, on both engines.
//
// It has no production code.
package bench

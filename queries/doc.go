// Package queries owns every SQL statement Throughline runs (embedded .sql
// files: numbered migrations, measures, events), the two ClickHouse engines
// (a server or cluster through clickhouse-go/v2, and embedded chDB loaded
// lazily through purego) and the binding of values into SQL as escaped
// literals, in one place.
//
// The SQL keeps to the subset that runs, and gives the same answers, on
// ClickHouse 18.16 and 26.7 (see CLICKHOUSE.md in the shared docs).
//
// It must not know HTTP, Prometheus or any tool's payloads, and it imports
// nothing else of Throughline.
package queries

// Package e2e holds Throughline's end-to-end tests: the server wired as the
// app wires it (configuration parsed from YAML, the configured webhooks, the
// ingest pipeline with the incident linker, the measure computer), on a real
// ClickHouse (server and embedded), driven only through real HTTP with the
// tools' own webhook payload shapes and signatures, and checked against
// measures computed by hand.
//
// It holds no production code.
package e2e

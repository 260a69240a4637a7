// Package app builds Throughline's parts from the configuration and runs
// them under one context: the store (server or embedded ClickHouse), the
// ingest pipeline, the measures exporter and the HTTP server, with an
// orderly shutdown (HTTP drains first, then pending writes are flushed).
//
// It holds wiring and lifecycle only: no SQL and no payload parsing. Only
// cmd imports it.
package app

// Package ingest owns the generic Event (EVENTS.md): its validation, the
// decoding of POST /api/v1/events bodies (JSON arrays, NDJSON and CDEvents),
// cross-request batching and the durable on-disk spool that keeps an
// acknowledged event safe while ClickHouse is unreachable.
//
// It validates and normalises; it does not compute measures, and it does not
// import queries: it writes through the EventWriter interface it declares.
package ingest

// Package eventstore is the bridge between the generic event model
// (ingest.Event) and its ClickHouse table (queries.EventRow): it converts
// both ways and implements ingest.EventWriter over a queries.Store.
//
// It holds no SQL and no measure maths.
package eventstore

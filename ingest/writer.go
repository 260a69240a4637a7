package ingest

import (
	"context"
	"time"
)

// Record is an accepted event on its way to storage.
type Record struct {
	Event     Event
	PayloadID string    // the raw payload it came from
	Received  time.Time // when Throughline received it
	Version   uint64    // orders re-sent versions; the highest wins
}

// EventWriter stores records and their payloads durably. Write returns nil
// only once everything is stored. Implementations must accept concurrent
// calls; ctx bounds the call.
type EventWriter interface {
	Write(ctx context.Context, batch []Record, payloads []Payload) error
}

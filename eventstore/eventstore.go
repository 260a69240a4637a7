package eventstore

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries"
)

// Store writes and reads generic events.
type Store struct {
	Q *queries.Store
}

// New wraps a query store.
func New(q *queries.Store) *Store { return &Store{Q: q} }

// ToRow flattens an event for the events table. version orders re-sent
// versions of the same (source, id): the highest wins.
func ToRow(e ingest.Event, payloadID string, received time.Time, version uint64) queries.EventRow {
	keys := make([]string, 0, len(e.Attributes))
	for k := range e.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = e.Attributes[k]
	}
	return queries.EventRow{
		Source: e.Source, ID: e.ID, Type: e.Type, Time: e.Time.UTC(), Subject: e.Subject,
		Service: e.Service, Repo: e.Repo, Environment: e.Environment, Team: e.Team,
		Product: e.Product, Outcome: e.Outcome, Kind: e.Kind, Priority: e.Priority,
		Commits: e.Commits, Automated: e.Automated,
		LinkDeployment: e.Links["deployment"], LinkIncident: e.Links["incident"],
		LinkChangeRequest: e.Links["change_request"], LinkWorkItem: e.Links["work_item"],
		LinkChange: e.Links["change"], AttrKeys: keys, AttrValues: vals,
		PayloadID: payloadID, Received: received.UTC(), Version: version,
	}
}

// FromRow rebuilds the generic event from a stored row.
func FromRow(r queries.EventRow) ingest.Event {
	e := ingest.Event{
		ID: r.ID, Source: r.Source, Type: r.Type, Time: r.Time.UTC(), Subject: r.Subject,
		Service: r.Service, Repo: r.Repo, Environment: r.Environment, Team: r.Team,
		Product: r.Product, Outcome: r.Outcome, Kind: r.Kind, Priority: r.Priority,
		Automated: r.Automated,
	}
	if len(r.Commits) > 0 {
		e.Commits = r.Commits
	}
	links := map[string]string{}
	for k, v := range map[string]string{
		"deployment": r.LinkDeployment, "incident": r.LinkIncident,
		"change_request": r.LinkChangeRequest, "work_item": r.LinkWorkItem, "change": r.LinkChange,
	} {
		if v != "" {
			links[k] = v
		}
	}
	if len(links) > 0 {
		e.Links = links
	}
	if len(r.AttrKeys) > 0 {
		e.Attributes = make(map[string]string, len(r.AttrKeys))
		for i, k := range r.AttrKeys {
			if i < len(r.AttrValues) {
				e.Attributes[k] = r.AttrValues[i]
			}
		}
	}
	return e
}

// Retryable implements ingest.RetryableWriter: a write that failed because
// ClickHouse could not be reached, or in time, may succeed later. Any other
// failure counts as a refusal of the data only when ClickHouse answers a
// ping: an outage whose error reads unlike the known ones must never set
// acknowledged events aside.
func (s *Store) Retryable(err error) bool {
	if errors.Is(err, queries.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Q.Engine().Ping(ctx) != nil
}

// Write implements ingest.EventWriter.
func (s *Store) Write(ctx context.Context, batch []ingest.Record, payloads []ingest.Payload) error {
	rows := make([]queries.EventRow, len(batch))
	for i, r := range batch {
		rows[i] = ToRow(r.Event, r.PayloadID, r.Received, r.Version)
	}
	prows := make([]queries.PayloadRow, len(payloads))
	for i, p := range payloads {
		prows[i] = queries.PayloadRow{ID: p.ID, Source: p.Source, ContentType: p.ContentType, Received: p.Received, Body: p.Body}
	}
	return s.Q.InsertEvents(ctx, rows, prows)
}

// List returns events matching f, newest first.
func (s *Store) List(ctx context.Context, f queries.EventFilter) ([]ingest.Event, error) {
	rows, err := s.Q.ListEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]ingest.Event, len(rows))
	for i, r := range rows {
		out[i] = FromRow(r)
	}
	return out, nil
}

// Load writes events straight to the store, outside the ingest pipeline:
// for the demo loader, fixtures and benchmarks. All get one received time.
func (s *Store) Load(ctx context.Context, events []ingest.Event) error {
	now := time.Now().UTC()
	batch := make([]ingest.Record, len(events))
	for i, e := range events {
		batch[i] = ingest.Record{Event: e, Received: now, Version: uint64(now.UnixNano())}
	}
	return s.Write(ctx, batch, nil)
}

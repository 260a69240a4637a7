package queries

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"
)

// EventRow is one row of the events table: the generic event flattened
// into columns (links as one column each, attributes as two arrays).
type EventRow struct {
	Source, ID, Type       string
	Time                   time.Time
	Subject                string
	Service, Repo          string
	Environment, Team      string
	Product, Outcome, Kind string
	Priority               string
	Commits                []string
	Automated              bool
	LinkDeployment         string
	LinkIncident           string
	LinkChangeRequest      string
	LinkWorkItem           string
	LinkChange             string
	AttrKeys, AttrValues   []string
	PayloadID              string
	Received               time.Time
	Version                uint64
}

// PayloadRow is one raw payload.
type PayloadRow struct {
	ID, Source, ContentType string
	Received                time.Time
	Body                    []byte
}

var eventColumns = []string{
	"source", "id", "type", "time", "subject", "service", "repo", "environment", "team",
	"product", "outcome", "kind", "priority", "commits", "automated", "link_deployment",
	"link_incident", "link_change_request", "link_work_item", "link_change", "attr_keys",
	"attr_values", "payload_id", "received", "ver",
}

var payloadColumns = []string{"id", "source", "received", "content_type", "encoding", "size", "body"}

func nz(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// InsertEvents writes events and their payloads, the two inserts in
// parallel (on a server each is a round trip and a new part). If either
// fails the caller retries both: rows are deduplicated by key, so a
// payload or an event written twice is stored once.
func (s *Store) InsertEvents(ctx context.Context, events []EventRow, payloads []PayloadRow) error {
	g, ctx := errgroup.WithContext(ctx)
	if len(payloads) > 0 {
		g.Go(func() error {
			rows := make([][]any, len(payloads))
			for i, p := range payloads {
				rows[i] = []any{p.ID, p.Source, p.Received, p.ContentType, payloadEncoding, uint64(len(p.Body)), compressPayload(p.Body)}
			}
			return s.Insert(ctx, "payloads", payloadColumns, rows)
		})
	}
	if len(events) > 0 {
		g.Go(func() error {
			rows := make([][]any, len(events))
			for i, e := range events {
				var auto uint8
				if e.Automated {
					auto = 1
				}
				rows[i] = []any{
					e.Source, e.ID, e.Type, e.Time, e.Subject, e.Service, e.Repo, e.Environment, e.Team,
					e.Product, e.Outcome, e.Kind, e.Priority, nz(e.Commits), auto, e.LinkDeployment,
					e.LinkIncident, e.LinkChangeRequest, e.LinkWorkItem, e.LinkChange, nz(e.AttrKeys),
					nz(e.AttrValues), e.PayloadID, e.Received, e.Version,
				}
			}
			return s.Insert(ctx, "events", eventColumns, rows)
		})
	}
	return g.Wait()
}

// EventFilter selects events for ListEvents; empty fields match anything.
type EventFilter struct {
	Source, Type, Subject, Service string
	From, To                       time.Time
	Limit                          int
}

// ListEvents returns deduplicated events, newest first.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]EventRow, error) {
	res, err := s.Query(ctx, "events/list.sql", Params{
		"source": f.Source, "type": f.Type, "subject": f.Subject, "service": f.Service,
		"from": f.From, "to": f.To, "limit": f.Limit,
	})
	if err != nil {
		return nil, err
	}
	out := make([]EventRow, res.Len())
	for i := range out {
		out[i] = EventRow{
			Source: res.String(i, "source"), ID: res.String(i, "id"), Type: res.String(i, "type"),
			Time: res.Time(i, "time"), Subject: res.String(i, "subject"),
			Service: res.String(i, "service"), Repo: res.String(i, "repo"),
			Environment: res.String(i, "environment"), Team: res.String(i, "team"),
			Product: res.String(i, "product"), Outcome: res.String(i, "outcome"),
			Kind: res.String(i, "kind"), Priority: res.String(i, "priority"),
			Commits: res.Strings(i, "commits"), Automated: res.Int(i, "automated") == 1,
			LinkDeployment: res.String(i, "link_deployment"), LinkIncident: res.String(i, "link_incident"),
			LinkChangeRequest: res.String(i, "link_change_request"), LinkWorkItem: res.String(i, "link_work_item"),
			LinkChange: res.String(i, "link_change"), AttrKeys: res.Strings(i, "attr_keys"),
			AttrValues: res.Strings(i, "attr_values"), PayloadID: res.String(i, "payload_id"),
			Received: res.Time(i, "received"),
		}
	}
	return out, nil
}

// CountEvents returns the number of distinct events stored.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	res, err := s.Query(ctx, "events/count.sql", nil)
	if err != nil {
		return 0, err
	}
	if res.Len() == 0 {
		return 0, nil
	}
	return res.Int(0, "events"), nil
}

// Payload returns a stored raw payload, decompressed; ok is false when
// there is none with that id.
func (s *Store) Payload(ctx context.Context, id string) (PayloadRow, bool, error) {
	res, err := s.Query(ctx, "events/payload.sql", Params{"id": id})
	if err != nil || res.Len() == 0 {
		return PayloadRow{}, false, err
	}
	body, err := decompressPayload(res.String(0, "encoding"), res.String(0, "body"))
	if err != nil {
		return PayloadRow{}, false, err
	}
	return PayloadRow{
		ID: res.String(0, "id"), Source: res.String(0, "source"), ContentType: res.String(0, "content_type"),
		Received: res.Time(0, "received"), Body: body,
	}, true, nil
}

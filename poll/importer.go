package poll

import (
	"context"
	"log/slog"
	"time"

	"github.com/throughline/throughline/ingest"
)

// Sink receives the events of one page. It returns only once they are
// stored (or durably queued): the importer saves its checkpoint past the
// page after Sink returns, so an event acknowledged here is never read
// again and one not acknowledged always is. ctx bounds the call.
type Sink func(ctx context.Context, events []ingest.Event) error

// Request is one run of an importer.
type Request struct {
	// Job names the run in progress reports and logs.
	Job string
	// Since is how far back a first run reads. Later runs continue from
	// their checkpoint's watermark.
	Since time.Time
	// Overlap is re-read before a watermark, for clock skew, late writes
	// and data the API dates in the past (a commit authored before it was
	// pushed). Re-reading adds nothing twice.
	Overlap time.Duration
	// Progress receives counts (nil: none).
	Progress Progress
	// Logger (nil: discard).
	Logger *slog.Logger
	// Now is the clock for pass start times (nil: time.Now).
	Now func() time.Time
}

// Importer reads one tool's history into events. Implementations live in
// ingest/<tool>, beside the webhook whose event ids they reproduce.
//
// Import reads every stream from its checkpoint to the present, calling
// sink page by page and saving the checkpoint after each page. It returns
// when done, on the first error it cannot retry, or when ctx ends; run it
// again with the same checkpoint to continue.
type Importer interface {
	Import(ctx context.Context, req Request, sink Sink, cp *Checkpoint) error
}

// WithDefaults fills the nil fields of r.
func (r Request) WithDefaults() Request {
	if r.Progress == nil {
		r.Progress = nopProgress{}
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r
}

// Tally counts one stream's progress and reports it; importers keep one
// per stream.
type Tally struct {
	Status
	p Progress
}

// NewTally starts counting a stream, continuing from items already read
// by an interrupted pass.
func NewTally(req Request, stream string, items int64) *Tally {
	t := &Tally{Status: Status{Job: req.Job, Stream: stream, Items: items}, p: req.Progress}
	if t.p == nil {
		t.p = nopProgress{}
	}
	t.p.Update(t.Status)
	return t
}

// Page records one page: items read, events sent, items skipped.
func (t *Tally) Page(items, events, skipped int) {
	t.Pages++
	t.Items += int64(items)
	t.Events += int64(events)
	t.Skipped += int64(skipped)
	t.p.Update(t.Status)
}

// SetTotal records the expected number of items, when the API says.
func (t *Tally) SetTotal(n int64) {
	if n > 0 {
		t.Total = n
		t.p.Update(t.Status)
	}
}

// Done marks the stream finished.
func (t *Tally) Done() {
	t.Status.Done = true
	t.p.Update(t.Status)
}

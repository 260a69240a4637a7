package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/throughline/throughline/ingest"
)

// Page is one page of a stream, mapped to events.
type Page struct {
	Events []ingest.Event
	// Items read and items skipped (not mappable) on the page.
	Items, Skipped int
	// Next is where the following page is, in the importer's own terms
	// (a next-page URL, an offset, a cursor): "" when the stream is done
	// (no more pages, or the pages have gone past the pass's since).
	Next string
	// Total is the number of items the API announced (0: unknown).
	Total int64
}

// Fetch reads the page at next ("" for the first page) of a pass that
// reads from since.
type Fetch func(ctx context.Context, next string, since time.Time) (Page, error)

// RunStream reads one stream from its checkpoint to the end: it begins
// (or continues) the pass, then fetches page after page, sends each
// page's events to sink and only then saves the position of the next
// page, and finishes the pass after the last page. An error leaves the
// checkpoint at the first page whose events are not stored.
func RunStream(ctx context.Context, req Request, cp *Checkpoint, sink Sink, stream string, fetch Fetch) error {
	req = req.WithDefaults()
	st, err := cp.Begin(stream, req.Since, req.Overlap, req.Now())
	if err != nil {
		return err
	}
	log := req.Logger.With("stream", stream)
	if st.Next != "" {
		log.Info("continuing an interrupted pass", "since", st.Since.Format(time.RFC3339), "items_already_read", st.Items)
	} else {
		log.Debug("starting a pass", "since", st.Since.Format(time.RFC3339))
	}
	tally := NewTally(req, stream, st.Items)
	next := st.Next
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := fetch(ctx, next, st.Since)
		if err != nil {
			return fmt.Errorf("%s: %w", stream, err)
		}
		if len(p.Events) > 0 {
			if err := sink(ctx, p.Events); err != nil {
				return fmt.Errorf("%s: store events: %w", stream, err)
			}
		}
		tally.SetTotal(p.Total)
		tally.Page(p.Items, len(p.Events), p.Skipped)
		if p.Next == "" {
			if err := cp.Finish(stream); err != nil {
				return err
			}
			tally.Done()
			return nil
		}
		if p.Next == next {
			return fmt.Errorf("%s: the API returned the same next page %q again; stopping rather than looping", stream, redactURL(p.Next))
		}
		if err := cp.Advance(stream, p.Next, p.Items); err != nil {
			return err
		}
		next = p.Next
	}
}

// Skip decides what to do with a mapping error of one item: ignored
// items (not finished, not relevant) are dropped silently, undecodable
// ones are counted as skipped and logged; anything else is returned.
func Skip(log *slog.Logger, what string, err error) (skipped int, fatal error) {
	switch {
	case err == nil:
		return 0, nil
	case errors.Is(err, ingest.ErrIgnored):
		return 0, nil
	case errors.Is(err, ingest.ErrPayload):
		if log != nil {
			log.Warn("item skipped: it cannot be mapped", "item", what, "err", err)
		}
		return 1, nil
	}
	return 0, err
}

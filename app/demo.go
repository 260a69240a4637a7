package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries"
)

// LoadDemo fills an empty store with the demo organisation's last year, up
// to now. It returns the number of events loaded (0 when the store already
// had events).
func LoadDemo(ctx context.Context, st *queries.Store, opts demo.Options, progressOut io.Writer) (int, error) {
	n, err := st.CountEvents(ctx)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, nil
	}
	if opts.End.IsZero() {
		opts.End = time.Now().UTC().Truncate(time.Hour)
	}
	total, err := demo.Count(opts)
	if err != nil {
		return 0, err
	}
	es := eventstore.New(st)
	bar := newProgress(progressOut, "loading demo data", total)
	loaded := 0
	var buf []ingest.Event
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := es.Load(ctx, buf); err != nil {
			return fmt.Errorf("load demo events: %w", err)
		}
		bar.add(len(buf))
		loaded += len(buf)
		buf = buf[:0]
		return nil
	}
	err = demo.Generate(opts, func(evs []ingest.Event) error {
		buf = append(buf, evs...)
		if len(buf) >= 50000 {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	bar.finish()
	return loaded, err
}

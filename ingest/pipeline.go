package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// PipelineOptions configure a Pipeline.
type PipelineOptions struct {
	Writer   EventWriter
	SpoolDir string // durable spool for batches ClickHouse cannot take now
	// MaxBatch is the number of events that triggers a write (default 10000).
	MaxBatch int
	// FlushInterval is how long a write starting from idle lingers for
	// other requests to join it (default 0: none; under load batches form
	// while the previous write is in flight).
	FlushInterval time.Duration
	// WriteTimeout bounds one write to ClickHouse before the batch is
	// spooled instead (default 10s).
	WriteTimeout time.Duration
	// ReplayInterval is how often the spool is retried (default 2s).
	ReplayInterval time.Duration
	// Linker, when set, enriches records before they are written (links
	// incidents to the deployments that probably caused them).
	Linker Linker
	// LinkTimeout bounds the Linker's work on one submission (default 2s).
	LinkTimeout time.Duration
	Logger      *slog.Logger
	Registry    prometheus.Registerer
}

// Linker enriches accepted records in place before they are stored.
// It must not fail: a record it cannot enrich is stored as it came.
type Linker interface {
	Link(ctx context.Context, recs []Record)
}

func (o *PipelineOptions) defaults() error {
	if o.Writer == nil {
		return errors.New("ingest: PipelineOptions.Writer is required")
	}
	if o.SpoolDir == "" {
		return errors.New("ingest: PipelineOptions.SpoolDir is required")
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 10000
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.ReplayInterval <= 0 {
		o.ReplayInterval = 2 * time.Second
	}
	if o.LinkTimeout <= 0 {
		o.LinkTimeout = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	return nil
}

// Pipeline batches accepted events across requests and writes them to
// ClickHouse, or to the durable spool when ClickHouse cannot take them.
// Submit returns only when the events are in one or the other.
type Pipeline struct {
	o     PipelineOptions
	spool *spool
	reqs  chan *submission

	// down is set while ClickHouse is failing: batches go straight to the
	// spool instead of waiting for a write timeout each time.
	mu   sync.Mutex
	down bool
	// sources are the source label values in use: the source of a generic
	// event is the client's to choose, so past maxSourceLabels new ones
	// count as "other" (a metric's label values must stay few).
	sources map[string]bool

	accepted   *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	writeDur   prometheus.Histogram
	writeErrs  prometheus.Counter
	spooledTot prometheus.Counter
	replayed   prometheus.Counter
}

type submission struct {
	records  []Record
	payloads []Payload
	done     chan error
}

// NewPipeline opens the spool and registers the pipeline's metrics.
func NewPipeline(o PipelineOptions) (*Pipeline, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	sp, err := openSpool(o.SpoolDir)
	if err != nil {
		return nil, err
	}
	f := promauto.With(o.Registry)
	p := &Pipeline{
		o: o, spool: sp, reqs: make(chan *submission, 1024),
		accepted: f.NewCounterVec(prometheus.CounterOpts{
			Name: "throughline_ingest_events_accepted_total", Help: "Events accepted, by source.",
		}, []string{"source"}),
		rejected: f.NewCounterVec(prometheus.CounterOpts{
			Name: "throughline_ingest_events_rejected_total", Help: "Events rejected, by reason.",
		}, []string{"reason"}),
		writeDur: f.NewHistogram(prometheus.HistogramOpts{
			Name: "throughline_ingest_write_duration_seconds", Help: "Time to write one batch to ClickHouse.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}),
		writeErrs: f.NewCounter(prometheus.CounterOpts{
			Name: "throughline_ingest_write_errors_total", Help: "Batches ClickHouse refused or could not take.",
		}),
		spooledTot: f.NewCounter(prometheus.CounterOpts{
			Name: "throughline_ingest_spooled_events_total", Help: "Events written to the durable spool.",
		}),
		replayed: f.NewCounter(prometheus.CounterOpts{
			Name: "throughline_ingest_replayed_events_total", Help: "Spooled events replayed into ClickHouse.",
		}),
	}
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "throughline_ingest_spool_events", Help: "Events waiting in the durable spool.",
	}, func() float64 { e, _ := sp.depth(); return float64(e) })
	return p, nil
}

// Reject counts a rejected event under a short reason (e.g. "time",
// "json", "signature").
func (p *Pipeline) Reject(reason string) { p.rejected.WithLabelValues(reason).Inc() }

// SpoolDepth returns the events and batches waiting in the spool.
func (p *Pipeline) SpoolDepth() (events, batches int) { return p.spool.depth() }

// ErrClosed is returned by Submit once the pipeline has stopped.
var ErrClosed = errors.New("ingest pipeline stopped")

// Submit queues records (and the payloads they came from) and waits until
// they are durable: in ClickHouse or in the spool. An error means nothing
// was acknowledged and the caller should answer 503.
func (p *Pipeline) Submit(ctx context.Context, records []Record, payloads []Payload) error {
	if len(records) == 0 && len(payloads) == 0 {
		return nil
	}
	if p.o.Linker != nil && !p.isDown() {
		// Linking reads ClickHouse: bounded, and skipped while it is
		// down, so that an outage never delays the acknowledgement past
		// the senders' timeouts (the records are stored unlinked).
		lctx, cancel := context.WithTimeout(ctx, p.o.LinkTimeout)
		p.o.Linker.Link(lctx, records)
		cancel()
	}
	s := &submission{records: records, payloads: payloads, done: make(chan error, 1)}
	select {
	case p.reqs <- s:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the batch is written whatever happens to the request:
	// wait for the outcome so the answer is true.
	err := <-s.done
	if err == nil {
		for _, r := range records {
			p.accepted.WithLabelValues(p.sourceLabel(r.Event.Source)).Inc()
		}
	}
	return err
}

// maxSourceLabels bounds the distinct source labels of the accepted counter.
const maxSourceLabels = 100

func (p *Pipeline) sourceLabel(source string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sources == nil {
		p.sources = map[string]bool{}
	}
	if !p.sources[source] {
		if len(p.sources) >= maxSourceLabels {
			return "other"
		}
		p.sources[source] = true
	}
	return source
}

// Run batches submissions until ctx ends, then flushes what is pending and
// returns. It also replays the spool.
//
// Batching is opportunistic: one write is in flight at a time, and the
// submissions that arrive meanwhile form the next batch, so batches grow
// with the load and a lone request waits for nothing (FlushInterval, when
// set, adds a linger before a write starts from idle).
func (p *Pipeline) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.replayLoop(ctx)
	}()
	defer wg.Wait()

	var pending []*submission
	n := 0
	inflight := false
	written := make(chan struct{}, 1)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	lingering := false
	start := func() {
		batch := pending
		pending, n, inflight = nil, 0, true
		go func() {
			p.flush(batch)
			written <- struct{}{}
		}()
	}
	for {
		select {
		case s := <-p.reqs:
			pending = append(pending, s)
			n += len(s.records)
			switch {
			case inflight:
				// The next batch forms while this one is written.
			case n >= p.o.MaxBatch || p.o.FlushInterval <= 0:
				if lingering {
					timer.Stop()
					lingering = false
				}
				start()
			case !lingering:
				timer.Reset(p.o.FlushInterval)
				lingering = true
			}
		case <-timer.C:
			lingering = false
			if !inflight && len(pending) > 0 {
				start()
			}
		case <-written:
			inflight = false
			if len(pending) > 0 {
				start()
			}
		case <-ctx.Done():
			timer.Stop()
			if inflight {
				<-written
			}
			// Drain what was queued before shutdown so no waiting request
			// is left without an answer.
			for {
				select {
				case s := <-p.reqs:
					pending = append(pending, s)
					continue
				default:
				}
				break
			}
			if len(pending) > 0 {
				p.flush(pending)
			}
			return nil
		}
	}
}

func (p *Pipeline) isDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

func (p *Pipeline) setDown(v bool) {
	p.mu.Lock()
	p.down = v
	p.mu.Unlock()
}

func (p *Pipeline) flush(subs []*submission) {
	var b spoolBatch
	for _, s := range subs {
		b.Records = append(b.Records, s.records...)
		b.Payloads = append(b.Payloads, s.payloads...)
	}
	b.Payloads = dedupePayloads(b.Payloads)
	err := errors.New("clickhouse marked down")
	if !p.isDown() {
		err = p.write(b)
	}
	if err != nil {
		p.setDown(true)
		p.o.Logger.Warn("write failed, spooling batch", "events", len(b.Records), "err", err)
		if serr := p.spool.write(b); serr != nil {
			p.o.Logger.Error("spool failed, batch not acknowledged", "events", len(b.Records), "err", serr)
			err = fmt.Errorf("store unavailable and spool failed: %w", serr)
		} else {
			p.spooledTot.Add(float64(len(b.Records)))
			err = nil
		}
	}
	for _, s := range subs {
		s.done <- err
	}
}

func (p *Pipeline) write(b spoolBatch) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.o.WriteTimeout)
	defer cancel()
	start := time.Now()
	err := p.o.Writer.Write(ctx, b.Records, b.Payloads)
	if err != nil {
		p.writeErrs.Inc()
		return err
	}
	p.writeDur.Observe(time.Since(start).Seconds())
	return nil
}

func dedupePayloads(ps []Payload) []Payload {
	if len(ps) < 2 {
		return ps
	}
	seen := make(map[string]bool, len(ps))
	out := ps[:0]
	for _, pl := range ps {
		if !seen[pl.ID] {
			seen[pl.ID] = true
			out = append(out, pl)
		}
	}
	return out
}

// replayLoop retries spooled batches, oldest first, until the spool is
// empty; then ClickHouse is marked up again. Re-writing a batch that did
// reach ClickHouse is harmless: (source, id) deduplicates.
func (p *Pipeline) replayLoop(ctx context.Context) {
	t := time.NewTicker(p.o.ReplayInterval)
	defer t.Stop()
	failures := map[string]int{}
	for {
		p.replayOnce(failures)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// maxReplayFailures is how many times in a row a spooled batch may be
// refused by a reachable ClickHouse before it is moved to spool/dead.
const maxReplayFailures = 50

// RetryableWriter is a Writer that can tell a failure that may pass by
// itself (ClickHouse unreachable, a timeout) from a refusal of the data.
type RetryableWriter interface {
	Retryable(err error) bool
}

// retryable reports whether a failed write may succeed later unchanged.
// Timeouts always may; without a RetryableWriter every failure may, so
// that nothing acknowledged is ever set aside for an outage.
func (p *Pipeline) retryable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	rw, ok := p.o.Writer.(RetryableWriter)
	return !ok || rw.Retryable(err)
}

func (p *Pipeline) replayOnce(failures map[string]int) {
	names, err := p.spool.list()
	if err != nil {
		p.o.Logger.Error("list spool", "err", err)
		return
	}
	for _, name := range names {
		b, err := p.spool.read(name)
		if err != nil {
			p.o.Logger.Error("unreadable spool batch, moved aside", "file", name, "err", err)
			_ = p.spool.bury(name, 0)
			continue
		}
		if err := p.write(b); err != nil {
			if p.retryable(err) {
				return // still down: however long, try again next tick
			}
			// ClickHouse answers but refuses this batch: after enough
			// refusals set it aside, so that the batches behind it go in.
			failures[name]++
			if failures[name] >= maxReplayFailures {
				p.o.Logger.Error("ClickHouse keeps refusing a spooled batch, moved to dead letters", "file", name, "err", err)
				_ = p.spool.bury(name, len(b.Records))
				delete(failures, name)
			}
			continue
		}
		delete(failures, name)
		_ = p.spool.remove(name, len(b.Records))
		p.replayed.Add(float64(len(b.Records)))
		p.o.Logger.Info("replayed spooled batch", "events", len(b.Records))
	}
	if ev, _ := p.spool.depth(); ev == 0 && p.isDown() {
		p.setDown(false)
	}
}

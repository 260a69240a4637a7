package demo

import (
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/throughline/throughline/ingest"
)

// maxChunk bounds the events passed to emit in one call.
const maxChunk = 10_000

// Generate streams the events of the organisation of o, in time order, to
// emit: one call per UTC day at most maxChunk (10,000) events long, each
// chunk sorted by (time, source, id), every chunk later than the one before.
// emit owns the slice it gets. Generation stops at the first error emit
// returns, which Generate returns wrapped.
//
// The same Options give the same events, byte for byte: the randomness is a
// PCG per service seeded from Seed, and nothing depends on map order or the
// clock (except a zero End, which defaults to now).
func Generate(o Options, emit func([]ingest.Event) error) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o = o.withDefaults()
	g := newGenerator(o)
	for d := 0; g.midnight0.Add(time.Duration(d) * day).Before(g.end); d++ {
		g.today = d
		lo := g.midnight0.Add(time.Duration(d) * day)
		hi := lo.Add(day)
		sp := span{lo: later(lo, g.start), hi: earlier(hi, g.end)}
		for _, s := range g.services {
			s.simulate(g, sp)
		}
		if g.bug != nil {
			return g.bug
		}
		if err := g.flush(d, emit); err != nil {
			return err
		}
	}
	return nil
}

// Count returns the number of events Generate(o) emits.
func Count(o Options) (int, error) {
	n := 0
	err := Generate(o, func(es []ingest.Event) error { n += len(es); return nil })
	return n, err
}

// generator is one run of Generate. Every event lands in the bucket of its
// UTC day; a day is sorted and emitted once every service has simulated it.
// The simulation only ever creates events at or after the instant it is
// simulating, so a bucket is complete when its day is done; add checks it.
type generator struct {
	seed       uint64
	start, end time.Time
	midnight0  time.Time // midnight of start's day: day 0
	today      int       // the day being simulated
	services   []*service
	buckets    map[int][]ingest.Event // looked up by day, never iterated
	bug        error

	// Counters for ids shared by the whole organisation.
	deploys, builds, snow, pd, changes int
}

func newGenerator(o Options) *generator {
	g := &generator{
		seed:      o.Seed,
		start:     o.start(),
		end:       o.End,
		midnight0: midnight(o.start()),
		buckets:   map[int][]ingest.Event{},
		deploys:   100_000, builds: 500_000, snow: 10_000, pd: 1_000, changes: 30_000,
	}
	for i, u := range newOrg(o).services {
		s := &service{unit: u, idx: i,
			// One stream per service: the default organisation's services
			// keep their histories whatever else Scale adds.
			rng: rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15*uint64(i+1))),
		}
		s.plan = []planned{{at: addWork(g.start, s.gap(g, g.start)), kind: planRelease}}
		if u.base == 0 {
			// The scripted outage: a production deployment three hours before
			// End whose incident is still open (an unrecovered failure).
			if at := g.end.Add(-3 * time.Hour); at.After(g.start) {
				s.schedule(planned{at: at, kind: planOutage})
			}
		}
		g.services = append(g.services, s)
	}
	return g
}

// add files e in its day's bucket. Events at or after End are dropped: what
// they would have closed stays open.
func (g *generator) add(e ingest.Event) {
	if !e.Time.Before(g.end) {
		return
	}
	d := int(e.Time.Sub(g.midnight0) / day)
	if e.Time.Before(g.start) || d < g.today {
		if g.bug == nil {
			g.bug = fmt.Errorf("demo: internal error: %s %s at %s is before the simulated day %d", e.Type, e.ID, e.Time, g.today)
		}
		return
	}
	g.buckets[d] = append(g.buckets[d], e)
}

func (g *generator) flush(d int, emit func([]ingest.Event) error) error {
	b := g.buckets[d]
	delete(g.buckets, d)
	slices.SortFunc(b, func(x, y ingest.Event) int {
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Source, y.Source); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	for len(b) > 0 {
		n := min(len(b), maxChunk)
		if err := emit(b[:n:n]); err != nil {
			return fmt.Errorf("demo: emit: %w", err)
		}
		b = b[n:]
	}
	return nil
}

// sha is the deterministic 40-hex commit id of a service's n-th commit.
func (g *generator) sha(s *service, n int) string {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], g.seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(s.idx))
	binary.LittleEndian.PutUint64(b[16:], uint64(n))
	h := sha1.Sum(b[:])
	return hex.EncodeToString(h[:])
}

func (g *generator) nextDeployment() string {
	g.deploys++
	return strconv.Itoa(g.deploys)
}

func (g *generator) nextBuild() string {
	g.builds++
	return strconv.Itoa(g.builds)
}

func (g *generator) nextChange() string {
	g.changes++
	return fmt.Sprintf("CHG%07d", g.changes)
}

func (g *generator) nextIncident(source string) string {
	if source == "pagerduty" {
		g.pd++
		return "PD" + strconv.Itoa(g.pd)
	}
	g.snow++
	return fmt.Sprintf("INC%07d", g.snow)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

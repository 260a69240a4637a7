package demo

import (
	"fmt"
	"math"
	"time"
)

// Options say which organisation to generate and over which window. The
// zero value is valid: every field has a default.
type Options struct {
	Seed uint64 // default 1; the same Options always give the same events
	// End is the last instant generated, exclusive; default now truncated to
	// the hour. Set it whenever two calls (Generate, Regressions) must agree.
	End   time.Time
	Days  int     // history length in days, default 365
	Scale float64 // 1 = the default organisation (20 services); events grow linearly with it
}

// Limits that keep a typo from asking for a decade of a million services.
const (
	maxDays     = 3660
	maxServices = 100_000 // Scale 5000
)

// Validate reports options that cannot be generated. Zero values are valid:
// they take the defaults.
func (o Options) Validate() error {
	if o.Days < 0 || o.Days > maxDays {
		return fmt.Errorf("demo: Options.Days must be in [0, %d], got %d", maxDays, o.Days)
	}
	if math.IsNaN(o.Scale) || o.Scale < 0 || o.Scale*float64(len(baseServices)) > maxServices {
		return fmt.Errorf("demo: Options.Scale must be in [0, %g], got %g", float64(maxServices)/float64(len(baseServices)), o.Scale)
	}
	return nil
}

// withDefaults fills the zero fields. End is truncated to the second, the
// events' resolution, so that every generated time, a whole second, stays
// strictly before it.
func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.End.IsZero() {
		o.End = time.Now().UTC().Truncate(time.Hour)
	}
	o.End = o.End.UTC().Truncate(time.Second)
	if o.Days == 0 {
		o.Days = 365
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	return o
}

func (o Options) start() time.Time {
	return o.End.Add(-time.Duration(o.Days) * 24 * time.Hour)
}

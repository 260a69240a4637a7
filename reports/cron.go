package reports

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser reads five-field expressions and descriptors (@weekly).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// zoneError is a bad time zone, naming where it was given.
type zoneError struct {
	field string // "time_zone" or "cron"
	err   error
}

func (e *zoneError) Error() string { return e.err.Error() }

// when is a parsed cron expression in its time zone.
//
// Cron fields are matched against the wall clock of the zone, and each
// wall-clock time fires once, whatever daylight saving does to it:
//   - a time that does not exist (the hour skipped when clocks go forward)
//     fires at the end of the gap, when the clock jumps past it, as Vixie
//     cron does, so a weekly report is not lost for a week;
//   - a time that happens twice (the hour repeated when clocks go back)
//     fires at its first occurrence only.
//
// robfig/cron's own Next steps in absolute time and does neither (it skips
// the first and fires twice on the second), so it is only asked about the
// wall clock: the spec runs in UTC on wall-clock times, and this type maps
// them to instants in the zone.
type when struct {
	spec *cron.SpecSchedule // Location UTC: works on wall-clock times
	loc  *time.Location
}

// parseCron reads an expression, with an optional CRON_TZ=<zone> (or
// TZ=<zone>) prefix, and the schedule's time_zone. Both may be given if
// they agree; neither means UTC.
func parseCron(expr, zone string) (*when, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, errors.New("required: a cron expression such as \"0 7 * * MON\" (07:00 every Monday)")
	}
	var loc *time.Location
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil || zone == "Local" {
			return nil, &zoneError{"time_zone", fmt.Errorf("%q is not an IANA time zone (like Europe/London)", zone)}
		}
		loc = l
	}
	// The prefix is handled here: robfig/cron panics on "CRON_TZ=X" alone.
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		rest, ok := strings.CutPrefix(expr, p)
		if !ok {
			continue
		}
		name, spec, _ := strings.Cut(rest, " ")
		l, err := time.LoadLocation(name)
		if err != nil || name == "" || name == "Local" {
			return nil, &zoneError{"cron", fmt.Errorf("%s%s is not an IANA time zone (like Europe/London)", p, name)}
		}
		if loc != nil && loc.String() != l.String() {
			return nil, &zoneError{"time_zone", fmt.Errorf("%q disagrees with the cron expression's %s%s", zone, p, name)}
		}
		loc, expr = l, strings.TrimSpace(spec)
		if expr == "" {
			return nil, fmt.Errorf("required: a cron expression after %s%s", p, name)
		}
		break
	}
	if loc == nil {
		loc = time.UTC
	}
	if strings.HasPrefix(expr, "@every") {
		return nil, errors.New("@every is not a calendar schedule: use a cron expression or @daily, @weekly, @monthly")
	}
	if strings.ContainsAny(expr, "\x00") || strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("%q: one time zone prefix at most", expr)
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", expr, err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%q is not a calendar schedule", expr)
	}
	c := *spec
	c.Location = time.UTC
	w := &when{spec: &c, loc: loc}
	// An expression that never fires (30 February) is a mistake.
	ref := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if w.spec.Next(ref).IsZero() {
		return nil, fmt.Errorf("%q never fires", expr)
	}
	return w, nil
}

// wall is t's wall-clock time in the zone, as a UTC time.
func (w *when) wall(t time.Time) time.Time {
	l := t.In(w.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// instant is the instant a wall-clock time fires: itself when it exists
// once, the first occurrence when it exists twice, the end of the gap when
// it does not exist.
func (w *when) instant(wall time.Time) time.Time {
	t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, w.loc)
	if !w.wall(t).Equal(wall) {
		// In a gap: the transition is one of the bounds of t's zone period.
		start, end := t.ZoneBounds()
		for _, c := range []time.Time{start, end} {
			if !c.IsZero() && !w.wall(c).Before(wall) && w.wall(c.Add(-time.Second)).Before(wall) {
				return c
			}
		}
		return t
	}
	// Repeated: an earlier instant with the previous zone's offset.
	start, _ := t.ZoneBounds()
	if !start.IsZero() {
		_, before := start.Add(-time.Second).Zone()
		_, now := t.Zone()
		if alt := t.Add(-time.Duration(before-now) * time.Second); before > now && alt.Before(start) && w.wall(alt).Equal(wall) {
			return alt
		}
	}
	return t
}

// next is the first firing strictly after t, or zero when there is none
// within five years.
func (w *when) next(t time.Time) time.Time {
	wall := w.wall(t)
	for i := 0; i < 1000; i++ {
		n := w.spec.Next(wall)
		if n.IsZero() {
			return time.Time{}
		}
		if at := w.instant(n); at.After(t) {
			return at
		}
		// The wall clock ran back (clocks went back, or t is in a gap):
		// keep going until the instant is after t.
		wall = n
	}
	return time.Time{}
}

// latest is the last firing in (after, upTo], or zero when there is none.
// It looks back from upTo in growing steps, so a schedule last run long
// ago costs little.
func (w *when) latest(after, upTo time.Time) time.Time {
	if !after.Before(upTo) {
		return time.Time{}
	}
	for back := time.Hour; ; back *= 2 {
		from := upTo.Add(-back)
		if !from.After(after) {
			from = after
		}
		var last time.Time
		for n := w.next(from); !n.IsZero() && !n.After(upTo); n = w.next(n) {
			last = n
		}
		if !last.IsZero() || from.Equal(after) {
			return last
		}
		if back > 20*366*24*time.Hour {
			return time.Time{}
		}
	}
}

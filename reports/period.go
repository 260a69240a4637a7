package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is which window a report covers, relative to when it runs
// (last-week, last-month, last-quarter, last-Nd) or fixed (FROM..TO).
type Period struct {
	spec     string
	kind     string // week, month, quarter, days, range
	days     int    // for kind days
	from, to string // for kind range, as given
}

// ParsePeriod reads a period:
//
//	last-week      the previous full week, Monday to Sunday
//	last-month     the previous calendar month
//	last-quarter   the previous calendar quarter
//	last-Nd        the N whole days before today (last-7d, last-30d)
//	FROM..TO       dates (YYYY-MM-DD, both days included) or RFC 3339
//	               instants (TO excluded)
//
// Days are those of the time zone the period is resolved in.
func ParsePeriod(s string) (Period, error) {
	p := Period{spec: s}
	switch s {
	case "last-week":
		p.kind = "week"
		return p, nil
	case "last-month":
		p.kind = "month"
		return p, nil
	case "last-quarter":
		p.kind = "quarter"
		return p, nil
	}
	if n, ok := strings.CutPrefix(s, "last-"); ok && strings.HasSuffix(n, "d") {
		d, err := strconv.Atoi(strings.TrimSuffix(n, "d"))
		if err != nil || d < 1 || d > 366 || strconv.Itoa(d)+"d" != n {
			return Period{}, fmt.Errorf("%q: last-Nd needs N from 1 to 366 (last-7d)", s)
		}
		p.kind, p.days = "days", d
		return p, nil
	}
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		return Period{}, fmt.Errorf("%q is not last-week, last-month, last-quarter, last-Nd or FROM..TO", s)
	}
	p.kind, p.from, p.to = "range", from, to
	if _, err := p.Window(time.Time{}, time.UTC); err != nil {
		return Period{}, err
	}
	return p, nil
}

// String is the period as ParsePeriod reads it.
func (p Period) String() string { return p.spec }

// Relative says whether the period moves with the time it is resolved at
// (schedules need one that does).
func (p Period) Relative() bool { return p.kind != "range" && p.kind != "" }

// Window is a resolved period: [From, To), in the report's time zone.
// Days is its length in whole local days, 0 when it does not start and end
// at midnight (a FROM..TO of instants).
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Days int       `json:"days"`
	// Months is 1 for a calendar month and 3 for a quarter (0 otherwise):
	// earlier periods are then calendar months, not the same number of
	// days (October is compared with September, not 31 Aug – 30 Sep).
	Months int `json:"months,omitempty"`
}

// Window resolves the period at instant at, in time zone loc.
func (p Period) Window(at time.Time, loc *time.Location) (Window, error) {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := at.In(loc).Date()
	switch p.kind {
	case "week":
		wd := (int(at.In(loc).Weekday()) + 6) % 7 // days since Monday
		return dayWindow(startOfDay(y, m, d-wd-7, loc), startOfDay(y, m, d-wd, loc), loc), nil
	case "month":
		w := dayWindow(startOfDay(y, m-1, 1, loc), startOfDay(y, m, 1, loc), loc)
		w.Months = 1
		return w, nil
	case "quarter":
		q := m - (m-1)%3
		w := dayWindow(startOfDay(y, q-3, 1, loc), startOfDay(y, q, 1, loc), loc)
		w.Months = 3
		return w, nil
	case "days":
		return dayWindow(startOfDay(y, m, d-p.days, loc), startOfDay(y, m, d, loc), loc), nil
	case "range":
		from, fromDate, err := parseBound(p.from, loc, false)
		if err != nil {
			return Window{}, fmt.Errorf("%q: FROM %w", p.spec, err)
		}
		to, toDate, err := parseBound(p.to, loc, true)
		if err != nil {
			return Window{}, fmt.Errorf("%q: TO %w", p.spec, err)
		}
		if !from.Before(to) {
			return Window{}, fmt.Errorf("%q: FROM must be before TO", p.spec)
		}
		if to.Sub(from) > 3*366*24*time.Hour {
			return Window{}, fmt.Errorf("%q: at most three years", p.spec)
		}
		if fromDate && toDate {
			return dayWindow(from, to, loc), nil
		}
		return Window{From: from, To: to}, nil
	}
	return Window{}, fmt.Errorf("unresolved period %q", p.spec)
}

// parseBound reads a date (a whole local day; as TO, the day is included,
// so the bound is the next midnight) or an RFC 3339 instant.
func parseBound(s string, loc *time.Location, end bool) (time.Time, bool, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		if end {
			t = startOfDay(t.Year(), t.Month(), t.Day()+1, loc)
		}
		return t, true, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not YYYY-MM-DD or RFC 3339", s)
}

// startOfDay is the first instant of a local day: its midnight, or, where
// the clocks skip midnight (America/Havana, America/Santiago go from 00:00
// to 01:00), the first instant after the gap. time.Date alone puts a
// missing midnight an hour early, on the day before.
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // normalises d out of range
	for i := 0; i < 4; i++ {
		ly, lm, ld := t.In(loc).Date()
		if ly == want.Year() && lm == want.Month() && ld == want.Day() {
			return t
		}
		t = t.Add(30 * time.Minute)
	}
	return t
}

// lastDay is the day before to, at noon (an instant every day has), for
// labels: "the day before midnight" may fall in a skipped hour.
func lastDay(to time.Time, loc *time.Location) time.Time {
	y, m, d := to.In(loc).Date()
	return time.Date(y, m, d-1, 12, 0, 0, 0, loc)
}

// dayWindow counts the local days between two local midnights.
func dayWindow(from, to time.Time, loc *time.Location) Window {
	fy, fm, fd := from.In(loc).Date()
	ty, tm, td := to.In(loc).Date()
	days := int(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC).Sub(time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	return Window{From: from, To: to, Days: days}
}

// shift returns the window k periods earlier: whole local days when the
// window is made of days (so a week is a week across a daylight-saving
// change), else the same duration.
func (w Window) shift(k int, loc *time.Location) Window {
	if k == 0 {
		return w
	}
	if w.Months > 0 {
		f := w.From.In(loc)
		from := startOfDay(f.Year(), f.Month()-time.Month(k*w.Months), 1, loc)
		to := time.Date(f.Year(), f.Month()-time.Month((k-1)*w.Months), 1, 0, 0, 0, 0, loc)
		s := dayWindow(from, to, loc)
		s.Months = w.Months
		return s
	}
	if w.Days > 0 {
		f := w.From.In(loc)
		from := startOfDay(f.Year(), f.Month(), f.Day()-k*w.Days, loc)
		return Window{From: from, To: startOfDay(f.Year(), f.Month(), f.Day()-(k-1)*w.Days, loc), Days: w.Days}
	}
	d := w.To.Sub(w.From)
	return Window{From: w.From.Add(-time.Duration(k) * d), To: w.To.Add(-time.Duration(k) * d)}
}

// label is the window for a reader: "2–8 Mar 2026".
func (w Window) label(loc *time.Location) string {
	from := w.From.In(loc)
	if w.Days == 0 {
		return from.Format("2 Jan 2006 15:04") + " – " + w.To.In(loc).Format("2 Jan 2006 15:04 MST")
	}
	last := lastDay(w.To, loc)
	if w.Days == 1 {
		return last.Format("Mon 2 Jan 2006")
	}
	switch {
	case from.Year() != last.Year():
		return from.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
	case from.Month() != last.Month():
		return from.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return from.Format("2") + "–" + last.Format("2 Jan 2006")
}

// phrase is the window in a sentence: "the 7 days from 23 Feb to 1 Mar
// 2026", "Mon 2 Mar 2026".
func (w Window) phrase(loc *time.Location) string {
	from := w.From.In(loc)
	switch {
	case w.Days == 0:
		return "the period from " + from.Format("2 Jan 2006 15:04") + " to " + w.To.In(loc).Format("2 Jan 2006 15:04 MST")
	case w.Days == 1:
		return from.Format("Mon 2 Jan 2006")
	}
	last := lastDay(w.To, loc)
	f := "2 Jan"
	if from.Year() != last.Year() {
		f = "2 Jan 2006"
	}
	return fmt.Sprintf("the %d days from %s to %s", w.Days, from.Format(f), last.Format("2 Jan 2006"))
}

// short is a trend bucket's label: its first day ("2 Mar"), its month
// ("Oct 2026") or quarter ("Q3 2026"), or for other windows of four weeks
// or more the month it starts in.
func (w Window) short(loc *time.Location) string {
	from := w.From.In(loc)
	switch {
	case w.Months == 3:
		return fmt.Sprintf("Q%d %d", (int(from.Month())-1)/3+1, from.Year())
	case w.Months > 0 || w.Days >= 28:
		return from.Format("Jan 2006")
	}
	if w.Days == 0 && w.To.Sub(w.From) < 24*time.Hour {
		return from.Format("2 Jan 15:04")
	}
	return from.Format("2 Jan")
}

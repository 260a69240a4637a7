package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Daylight saving in 2026: Europe/London goes forward on 29 March at 01:00
// UTC (01:00 GMT becomes 02:00 BST) and back on 25 October at 01:00 UTC
// (02:00 BST becomes 01:00 GMT); America/New_York goes forward on 8 March
// at 07:00 UTC (02:00 EST becomes 03:00 EDT) and back on 1 November at
// 06:00 UTC (02:00 EDT becomes 01:00 EST).
func TestCronNext(t *testing.T) {
	for _, tc := range []struct {
		name, expr, zone string
		after            string
		want             []string // successive firings
	}{
		{name: "UTC by default", expr: "0 6 1 * *", after: "2026-02-15T00:00:00Z",
			want: []string{"2026-03-01T06:00:00Z", "2026-04-01T06:00:00Z"}},
		{name: "weekly in London keeps 07:00 across the spring change", expr: "0 7 * * MON", zone: "Europe/London", after: "2026-03-16T12:00:00Z",
			want: []string{"2026-03-23T07:00:00Z", "2026-03-30T06:00:00Z", "2026-04-06T06:00:00Z"}},
		{name: "weekly in London keeps 07:00 across the autumn change", expr: "0 7 * * MON", zone: "Europe/London", after: "2026-10-19T12:00:00Z",
			want: []string{"2026-10-26T07:00:00Z"}},
		{name: "London: 01:30 does not exist on 29 March, so it fires as the clock jumps", expr: "30 1 * * *", zone: "Europe/London", after: "2026-03-28T12:00:00Z",
			want: []string{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{name: "London: 01:30 happens twice on 25 October, it fires once, the first time", expr: "30 1 * * *", zone: "Europe/London", after: "2026-10-24T12:00:00Z",
			want: []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{name: "London: starting inside the repeated hour does not fire it again", expr: "30 1 * * *", zone: "Europe/London", after: "2026-10-25T01:10:00Z",
			want: []string{"2026-10-26T01:30:00Z"}},
		{name: "London: hourly skips the repeated 01:00", expr: "0 * * * *", zone: "Europe/London", after: "2026-10-24T23:30:00Z",
			want: []string{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}},
		{name: "New York: 02:30 does not exist on 8 March", expr: "30 2 * * *", zone: "America/New_York", after: "2026-03-07T12:00:00Z",
			want: []string{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
		{name: "New York: 01:30 on 1 November fires once", expr: "30 1 * * *", zone: "America/New_York", after: "2026-10-31T12:00:00Z",
			want: []string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{name: "New York: Monday 09:00 across the spring change", expr: "0 9 * * 1", zone: "America/New_York", after: "2026-03-02T15:00:00Z",
			want: []string{"2026-03-09T13:00:00Z"}},
		{name: "CRON_TZ in the expression", expr: "CRON_TZ=America/New_York 0 9 * * *", after: "2026-07-01T00:00:00Z",
			want: []string{"2026-07-01T13:00:00Z"}},
		{name: "CRON_TZ agreeing with time_zone", expr: "CRON_TZ=Asia/Kolkata 0 9 * * *", zone: "Asia/Kolkata", after: "2026-07-01T00:00:00Z",
			want: []string{"2026-07-01T03:30:00Z"}},
		{name: "descriptor in a zone", expr: "@monthly", zone: "Australia/Sydney", after: "2026-03-15T00:00:00Z",
			want: []string{"2026-03-31T13:00:00Z", "2026-04-30T14:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := parseCron(tc.expr, tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			at := utc(tc.after)
			for i, want := range tc.want {
				got := w.next(at)
				if !got.Equal(utc(want)) {
					t.Fatalf("firing %d after %s: %s (%s), want %s", i+1, at.UTC().Format(time.RFC3339), got.UTC().Format(time.RFC3339), got.In(w.loc).Format("15:04 MST"), want)
				}
				at = got
			}
		})
	}
}

// TestRobfigAloneMisfiresOnDST documents why next() asks robfig/cron about
// wall-clock times only: on its own it skips a time that does not exist
// and fires a repeated one twice. If this test fails, robfig changed and
// the mapping in when may no longer be needed.
func TestRobfigAloneMisfiresOnDST(t *testing.T) {
	s, err := cron.ParseStandard("CRON_TZ=Europe/London 30 1 * * *")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Next(utc("2026-03-28T12:00:00Z")); !got.Equal(utc("2026-03-30T00:30:00Z")) {
		t.Errorf("robfig: spring forward gave %s, expected it to skip to 30 March", got.UTC())
	}
	first := s.Next(utc("2026-10-24T12:00:00Z"))
	if second := s.Next(first); !second.Equal(utc("2026-10-25T01:30:00Z")) {
		t.Errorf("robfig: fall back gave %s then %s, expected a second 01:30", first.UTC(), second.UTC())
	}
}

func TestCronLatest(t *testing.T) {
	w, err := parseCron("0 7 * * MON", "Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, after, upTo, want string
	}{
		{"two slots missed: the latest", "2026-03-02T07:00:00Z", "2026-03-16T09:00:00Z", "2026-03-16T07:00:00Z"},
		{"a slot exactly at upTo counts", "2026-03-02T07:00:00Z", "2026-03-09T07:00:00Z", "2026-03-09T07:00:00Z"},
		{"nothing missed", "2026-03-16T07:00:00Z", "2026-03-16T09:00:00Z", ""},
		{"nothing missed yet", "2026-03-09T07:00:00Z", "2026-03-16T06:59:59Z", ""},
		{"last run years ago", "2020-01-06T07:00:00Z", "2026-03-16T09:00:00Z", "2026-03-16T07:00:00Z"},
		{"across the spring change (07:00 BST is 06:00 UTC)", "2026-03-23T07:00:00Z", "2026-04-01T00:00:00Z", "2026-03-30T06:00:00Z"},
		{"after is not before upTo", "2026-03-16T09:00:00Z", "2026-03-16T09:00:00Z", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := w.latest(utc(tc.after), utc(tc.upTo))
			if tc.want == "" {
				if !got.IsZero() {
					t.Fatalf("got %s, want none", got.UTC())
				}
				return
			}
			if !got.Equal(utc(tc.want)) {
				t.Fatalf("got %s, want %s", got.UTC(), tc.want)
			}
		})
	}
}

func TestParseCronErrors(t *testing.T) {
	for _, tc := range []struct {
		name, expr, zone, want string
		field                  string
	}{
		{"empty", "", "", "required", "cron"},
		{"six fields", "0 0 7 * * MON", "", "expected exactly 5 fields", "cron"},
		{"bad minute", "61 7 * * *", "", "above maximum", "cron"},
		{"never fires", "0 0 30 2 *", "", "never fires", "cron"},
		{"@every", "@every 1h", "", "not a calendar schedule", "cron"},
		{"bad zone", "0 7 * * *", "Mars/Olympus", "not an IANA time zone", "time_zone"},
		{"Local", "0 7 * * *", "Local", "not an IANA time zone", "time_zone"},
		{"bad CRON_TZ", "CRON_TZ=Nowhere 0 7 * * *", "", "not an IANA time zone", "cron"},
		{"CRON_TZ alone", "CRON_TZ=Europe/London", "", "required", "cron"},
		{"zones disagree", "CRON_TZ=Europe/London 0 7 * * *", "Europe/Paris", "disagrees", "time_zone"},
		{"two prefixes", "TZ=UTC CRON_TZ=UTC 0 7 * * *", "", "one time zone prefix", "cron"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCron(tc.expr, tc.zone)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			s := Schedule{Name: "x", Cron: tc.expr, TimeZone: tc.zone}
			cfg := Config{Schedules: []Schedule{s}}
			if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), "reports.schedules[0]."+tc.field+":") {
				t.Fatalf("Validate: %v, want it to name reports.schedules[0].%s", err, tc.field)
			}
		})
	}
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"0 7 * * MON", "CRON_TZ=Europe/London 30 1 * * *", "@weekly", "CRON_TZ=", "TZ=X", "*/5 1-3 1,15 JAN-MAR MON-FRI", "0 0 29 2 *"} {
		f.Add(s, "")
		f.Add(s, "America/New_York")
	}
	f.Fuzz(func(t *testing.T, expr, zone string) {
		w, err := parseCron(expr, zone)
		if err != nil {
			return
		}
		at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 3; i++ {
			n := w.next(at)
			if n.IsZero() {
				return
			}
			if !n.After(at) {
				t.Fatalf("%q in %q: next(%s) = %s is not after it", expr, zone, at, n)
			}
			at = n
		}
	})
}

package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/metrics"
)

func TestPeriodWindow(t *testing.T) {
	for _, tc := range []struct {
		name, period, zone, at string
		from, to               string
		days                   int
		prevFrom, prevTo       string
		label                  string
	}{
		{name: "last week from a Monday", period: "last-week", zone: "UTC", at: "2026-03-02T07:00:00Z",
			from: "2026-02-23T00:00:00Z", to: "2026-03-02T00:00:00Z", days: 7,
			prevFrom: "2026-02-16T00:00:00Z", prevTo: "2026-02-23T00:00:00Z", label: "23 Feb – 1 Mar 2026"},
		{name: "last week from a Sunday night is still the week before", period: "last-week", zone: "UTC", at: "2026-03-08T23:59:59Z",
			from: "2026-02-23T00:00:00Z", to: "2026-03-02T00:00:00Z", days: 7,
			prevFrom: "2026-02-16T00:00:00Z", prevTo: "2026-02-23T00:00:00Z", label: "23 Feb – 1 Mar 2026"},
		{name: "London week with the spring change is 167 hours, still 7 days", period: "last-week", zone: "Europe/London", at: "2026-03-30T06:00:00Z",
			from: "2026-03-23T00:00:00Z", to: "2026-03-29T23:00:00Z", days: 7,
			prevFrom: "2026-03-16T00:00:00Z", prevTo: "2026-03-23T00:00:00Z", label: "23–29 Mar 2026"},
		{name: "New York week with the spring change", period: "last-week", zone: "America/New_York", at: "2026-03-09T12:00:00Z",
			from: "2026-03-02T05:00:00Z", to: "2026-03-09T04:00:00Z", days: 7,
			prevFrom: "2026-02-23T05:00:00Z", prevTo: "2026-03-02T05:00:00Z", label: "2–8 Mar 2026"},
		{name: "a local Monday that is still Sunday in UTC", period: "last-week", zone: "Pacific/Auckland", at: "2026-03-01T20:00:00Z",
			from: "2026-02-22T11:00:00Z", to: "2026-03-01T11:00:00Z", days: 7,
			prevFrom: "2026-02-15T11:00:00Z", prevTo: "2026-02-22T11:00:00Z", label: "23 Feb – 1 Mar 2026"},
		{name: "last month: February, compared with January", period: "last-month", zone: "UTC", at: "2026-03-02T07:00:00Z",
			from: "2026-02-01T00:00:00Z", to: "2026-03-01T00:00:00Z", days: 28,
			prevFrom: "2026-01-01T00:00:00Z", prevTo: "2026-02-01T00:00:00Z", label: "1–28 Feb 2026"},
		{name: "last month across the year: December, compared with November", period: "last-month", zone: "UTC", at: "2026-01-05T00:00:00Z",
			from: "2025-12-01T00:00:00Z", to: "2026-01-01T00:00:00Z", days: 31,
			prevFrom: "2025-11-01T00:00:00Z", prevTo: "2025-12-01T00:00:00Z", label: "1–31 Dec 2025"},
		{name: "last quarter: Q1, compared with Q4", period: "last-quarter", zone: "UTC", at: "2026-05-15T00:00:00Z",
			from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z", days: 90,
			prevFrom: "2025-10-01T00:00:00Z", prevTo: "2026-01-01T00:00:00Z", label: "1 Jan – 31 Mar 2026"},
		{name: "last week in Havana, whose clocks skip midnight on Sunday 8 March", period: "last-week", zone: "America/Havana", at: "2026-03-09T15:00:00Z",
			from: "2026-03-02T00:00:00-05:00", to: "2026-03-09T00:00:00-04:00", days: 7,
			prevFrom: "2026-02-23T00:00:00-05:00", prevTo: "2026-03-02T00:00:00-05:00", label: "2–8 Mar 2026"},
		{name: "yesterday in Havana, the day whose midnight is skipped", period: "last-1d", zone: "America/Havana", at: "2026-03-09T15:00:00Z",
			from: "2026-03-08T01:00:00-04:00", to: "2026-03-09T00:00:00-04:00", days: 1,
			prevFrom: "2026-03-07T00:00:00-05:00", prevTo: "2026-03-08T01:00:00-04:00", label: "Sun 8 Mar 2026"},
		{name: "last month in a zone with daylight saving: October, compared with September", period: "last-month", zone: "Europe/London", at: "2026-11-02T09:00:00Z",
			from: "2026-10-01T00:00:00+01:00", to: "2026-11-01T00:00:00Z", days: 31,
			prevFrom: "2026-09-01T00:00:00+01:00", prevTo: "2026-10-01T00:00:00+01:00", label: "1–31 Oct 2026"},
		{name: "last 7 days", period: "last-7d", zone: "UTC", at: "2026-03-04T10:00:00Z",
			from: "2026-02-25T00:00:00Z", to: "2026-03-04T00:00:00Z", days: 7,
			prevFrom: "2026-02-18T00:00:00Z", prevTo: "2026-02-25T00:00:00Z", label: "25 Feb – 3 Mar 2026"},
		{name: "yesterday", period: "last-1d", zone: "UTC", at: "2026-03-04T10:00:00Z",
			from: "2026-03-03T00:00:00Z", to: "2026-03-04T00:00:00Z", days: 1,
			prevFrom: "2026-03-02T00:00:00Z", prevTo: "2026-03-03T00:00:00Z", label: "Tue 3 Mar 2026"},
		{name: "dates: both days included", period: "2026-02-01..2026-02-28", zone: "UTC", at: "2030-01-01T00:00:00Z",
			from: "2026-02-01T00:00:00Z", to: "2026-03-01T00:00:00Z", days: 28,
			prevFrom: "2026-01-04T00:00:00Z", prevTo: "2026-02-01T00:00:00Z", label: "1–28 Feb 2026"},
		{name: "instants: TO excluded, same duration before", period: "2026-02-01T00:00:00Z..2026-02-01T12:00:00Z", zone: "UTC", at: "2030-01-01T00:00:00Z",
			from: "2026-02-01T00:00:00Z", to: "2026-02-01T12:00:00Z", days: 0,
			prevFrom: "2026-01-31T12:00:00Z", prevTo: "2026-02-01T00:00:00Z", label: "1 Feb 2026 00:00 – 1 Feb 2026 12:00 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePeriod(tc.period)
			if err != nil {
				t.Fatal(err)
			}
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			w, err := p.Window(utc(tc.at), loc)
			if err != nil {
				t.Fatal(err)
			}
			if !w.From.Equal(utc(tc.from)) || !w.To.Equal(utc(tc.to)) || w.Days != tc.days {
				t.Errorf("window %s..%s (%d days), want %s..%s (%d)", w.From.UTC().Format(time.RFC3339), w.To.UTC().Format(time.RFC3339), w.Days, tc.from, tc.to, tc.days)
			}
			prev := w.shift(1, loc)
			if !prev.From.Equal(utc(tc.prevFrom)) || !prev.To.Equal(utc(tc.prevTo)) {
				t.Errorf("previous %s..%s, want %s..%s", prev.From.UTC().Format(time.RFC3339), prev.To.UTC().Format(time.RFC3339), tc.prevFrom, tc.prevTo)
			}
			if got := w.label(loc); got != tc.label {
				t.Errorf("label %q, want %q", got, tc.label)
			}
			// Trend periods tile: each ends where the next begins.
			for k := 1; k < trendPeriods; k++ {
				if a, b := w.shift(k, loc), w.shift(k-1, loc); !a.To.Equal(b.From) {
					t.Fatalf("shift %d ends %s, shift %d starts %s", k, a.To, k-1, b.From)
				}
			}
		})
	}
}

func TestParsePeriodErrors(t *testing.T) {
	for _, tc := range []struct{ give, want string }{
		{"", "is not last-week"},
		{"yesterday", "is not last-week"},
		{"last-0d", "N from 1 to 366"},
		{"last-367d", "N from 1 to 366"},
		{"last-07d", "N from 1 to 366"},
		{"last-xd", "N from 1 to 366"},
		{"2026-02-30..2026-03-01", "FROM"},
		{"2026-03-01..2026-02-01", "FROM must be before TO"},
		{"2026-03-01..", "TO"},
		{"2020-01-01..2026-01-01", "at most three years"},
		{"2026-03-01T00:00:00..2026-03-02", "FROM"},
	} {
		t.Run(tc.give, func(t *testing.T) {
			_, err := ParsePeriod(tc.give)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseScope(t *testing.T) {
	for _, tc := range []struct {
		give     string
		want     Scope
		children string
		err      string
	}{
		{give: "org", want: Scope{Kind: "org"}, children: "team"},
		{give: "organisation", want: Scope{Kind: "org"}, children: "team"},
		{give: "portfolio:retail", want: Scope{"portfolio", "retail"}, children: "team"},
		{give: "product:web-shop", want: Scope{"product", "web-shop"}, children: "team"},
		{give: "team:payments", want: Scope{"team", "payments"}, children: "service"},
		{give: "service:checkout", want: Scope{"service", "checkout"}, children: "service"},
		{give: "team:with:colon", want: Scope{"team", "with:colon"}, children: "service"},
		{give: "team", err: "kind:name"},
		{give: "team:", err: "1 to 200"},
		{give: "squad:x", err: "the kind must be"},
		{give: "team:a\x00b", err: "control"},
	} {
		t.Run(tc.give, func(t *testing.T) {
			got, err := ParseScope(tc.give)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if got.children() != tc.children {
				t.Errorf("children %s, want %s", got.children(), tc.children)
			}
			back, err := ParseScope(got.String())
			if err != nil || back != got {
				t.Errorf("String() %q does not parse back: %+v %v", got.String(), back, err)
			}
		})
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"last-week", "last-month", "last-quarter", "last-30d", "2026-02-01..2026-02-28", "2026-02-01T00:00:00Z..2026-02-02T00:00:00+01:00", "..", "last-d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		for _, z := range []string{"UTC", "Europe/London", "Pacific/Chatham"} {
			loc, _ := time.LoadLocation(z)
			w, err := p.Window(time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), loc)
			if err != nil {
				t.Fatalf("%q parsed but does not resolve: %v", s, err)
			}
			if !w.From.Before(w.To) {
				t.Fatalf("%q: empty window %s..%s", s, w.From, w.To)
			}
			prev := w.shift(1, loc)
			if !prev.To.Equal(w.From) || !prev.From.Before(prev.To) {
				t.Fatalf("%q: previous %s..%s does not end where %s..%s begins", s, prev.From, prev.To, w.From, w.To)
			}
		}
	})
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"org", "team:payments", "product:", ":x", "service:a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		back, err := ParseScope(sc.String())
		if err != nil || back != sc {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, sc, sc.String(), back, err)
		}
	})
}

// TestDirectoryWritesWhatItHas: a missing rendering (a PDF without
// Chromium) is reported, and the others are still written.
func TestDirectoryWritesWhatItHas(t *testing.T) {
	dir := t.TempDir()
	err := writeDirectory(dir, "weekly", map[string][]byte{"html": []byte("<p>hi</p>"), "md": []byte("hi")}, []string{"pdf", "html", "md"})
	if err == nil || !strings.Contains(err.Error(), "no pdf rendering") {
		t.Errorf("error %v, want the missing pdf named", err)
	}
	for _, f := range []string{"weekly.html", "weekly.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

// TestUnknownScope: a scope the catalogue does not know gets a note, a
// known one none.
func TestUnknownScope(t *testing.T) {
	c := &metrics.Catalog{Services: map[string]metrics.Service{"pay": {Team: "payments", Product: "shop", Portfolio: "retail"}},
		Products: map[string]metrics.Product{"ledger": {Portfolio: "back-office"}}}
	for _, tc := range []struct {
		scope Scope
		note  bool
	}{
		{Scope{Kind: "team", Name: "payments"}, false},
		{Scope{Kind: "team", Name: "paymnets"}, true},
		{Scope{Kind: "service", Name: "pay"}, false},
		{Scope{Kind: "product", Name: "ledger"}, false},
		{Scope{Kind: "portfolio", Name: "back-office"}, false},
		{Scope{Kind: "portfolio", Name: "retial"}, true},
		{Scope{Kind: "org"}, false},
	} {
		if got := unknownScope(c, tc.scope); (got != "") != tc.note || tc.note && !strings.Contains(got, tc.scope.Name) {
			t.Errorf("%+v: %q", tc.scope, got)
		}
	}
	if unknownScope(&metrics.Catalog{}, Scope{Kind: "team", Name: "x"}) != "" {
		t.Error("without a catalogue every name is unknown: no note")
	}
}

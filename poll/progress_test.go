package poll_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
)

func TestRender(t *testing.T) {
	start := t0
	for _, tc := range []struct {
		name       string
		s          poll.Status
		startItems int64
		now        time.Time
		want       string
	}{
		{
			name: "total known: bar and ETA",
			s:    poll.Status{Job: "shop", Stream: "commits", Items: 250, Total: 1000, Events: 250},
			now:  start.Add(10 * time.Second),
			// 250 in 10s, 750 left: 30s.
			want: "shop commits  250/1,000 [======>                 ]  25%  events 250  ETA 30s",
		},
		{
			name:       "resumed: the rate counts this run only",
			s:          poll.Status{Job: "shop", Stream: "commits", Items: 600, Total: 1000, Events: 100},
			startItems: 500,
			now:        start.Add(20 * time.Second),
			// 100 in 20s, 400 left: 80s.
			want: "shop commits  600/1,000 [==============>         ]  60%  events 100  ETA 1m20s",
		},
		{
			name: "no total: rate",
			s:    poll.Status{Stream: "incident", Items: 1500, Events: 3200, Skipped: 2},
			now:  start.Add(60 * time.Second),
			want: "incident  1,500 items  events 3,200  skipped 2  25.0/s",
		},
		{
			name: "done",
			s:    poll.Status{Job: "j", Stream: "pulls", Items: 12, Total: 12, Events: 30, Done: true},
			now:  start.Add(1500 * time.Millisecond),
			want: "j pulls  12/12 [========================] 100%  events 30  done in 2s",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := poll.Render(tc.s, start, tc.startItems, tc.now, 24); got != tc.want {
				t.Fatalf("\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestBarKeepsFinishedLines(t *testing.T) {
	var buf bytes.Buffer
	now := t0
	bar := poll.NewBar(&buf, poll.BarOptions{Now: func() time.Time { return now }, Interval: time.Second})
	bar.Update(poll.Status{Stream: "commits", Items: 0})
	now = now.Add(100 * time.Millisecond)
	bar.Update(poll.Status{Stream: "commits", Items: 5}) // throttled
	now = now.Add(time.Second)
	bar.Update(poll.Status{Stream: "commits", Items: 10, Done: true})
	bar.Update(poll.Status{Stream: "pulls", Items: 3})
	bar.Finish()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per stream, got %q", buf.String())
	}
	if strings.Contains(buf.String(), "5 items") {
		t.Fatalf("throttled update was drawn: %q", buf.String())
	}
	last := lines[0][strings.LastIndex(lines[0], "\r")+1:]
	if !strings.HasPrefix(last, "commits  10 items") || !strings.Contains(last, "done in") {
		t.Fatalf("finished line %q", last)
	}
	if !strings.Contains(lines[1], "pulls  3 items") {
		t.Fatalf("second line %q", lines[1])
	}
}

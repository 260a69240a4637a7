package poll

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Status is how far one stream of a job has come.
type Status struct {
	Job, Stream string
	// Items read (commits, pull requests, records), including those of an
	// interrupted pass that was continued.
	Items int64
	// Total is the number of items the API announced, 0 when it did not.
	Total int64
	// Events sent to the sink, and items skipped (not mappable).
	Events, Skipped int64
	Pages           int
	Done            bool
}

// Progress receives status updates. Update is called from the importer's
// goroutine, possibly from several streams at once; implementations must
// be safe for concurrent use and must not block for long.
type Progress interface {
	Update(Status)
}

type nopProgress struct{}

func (nopProgress) Update(Status) {}

// BarOptions configure a Bar.
type BarOptions struct {
	// Now is the clock for rates and ETA (default time.Now).
	Now func() time.Time
	// Interval is the least time between redraws (default 200ms); a
	// finished stream is always drawn.
	Interval time.Duration
	// Width of the bar in characters (default 24).
	Width int
}

// Bar draws one line per stream on a terminal: counts, a bar and an ETA
// when the API announced a total, the rate otherwise. The line of the
// stream in progress is redrawn in place; a finished stream's line stays.
type Bar struct {
	w io.Writer
	o BarOptions

	mu       sync.Mutex
	streams  map[string]*barStream
	current  string
	lastDraw time.Time
	lastLen  int
}

type barStream struct {
	Status
	start      time.Time
	startItems int64
}

// NewBar returns a bar writing to w (usually stderr).
func NewBar(w io.Writer, o BarOptions) *Bar {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Interval == 0 {
		o.Interval = 200 * time.Millisecond
	}
	if o.Width <= 0 {
		o.Width = 24
	}
	return &Bar{w: w, o: o, streams: map[string]*barStream{}}
}

// Update implements Progress.
func (b *Bar) Update(s Status) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.o.Now()
	key := s.Job + "\x00" + s.Stream
	st, ok := b.streams[key]
	if !ok {
		st = &barStream{start: now, startItems: s.Items}
		b.streams[key] = st
	}
	wasDone := st.Done
	st.Status = s
	if wasDone {
		return
	}
	if key != b.current && b.current != "" && b.lastLen > 0 {
		// Another stream takes the line: keep the previous one's text.
		fmt.Fprintln(b.w)
		b.lastLen = 0
	}
	b.current = key
	if !s.Done && now.Sub(b.lastDraw) < b.o.Interval && ok {
		return
	}
	b.lastDraw = now
	line := render(st, now, b.o.Width)
	pad := ""
	if n := b.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprint(b.w, "\r"+line+pad)
	b.lastLen = len(line)
	if s.Done {
		fmt.Fprintln(b.w)
		b.lastLen = 0
		b.current = ""
	}
}

// Finish ends the line in progress, if any.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lastLen > 0 {
		fmt.Fprintln(b.w)
		b.lastLen = 0
	}
	b.current = ""
}

// Render returns the line a Bar draws for s, for a stream that started at
// start with startItems already read.
func Render(s Status, start time.Time, startItems int64, now time.Time, width int) string {
	return render(&barStream{Status: s, start: start, startItems: startItems}, now, width)
}

func render(st *barStream, now time.Time, width int) string {
	s := st.Status
	var b strings.Builder
	name := s.Stream
	if s.Job != "" {
		name = s.Job + " " + s.Stream
	}
	b.WriteString(name)
	b.WriteString("  ")
	elapsed := now.Sub(st.start)
	gained := s.Items - st.startItems
	if s.Total > 0 {
		done := min(s.Items, s.Total)
		frac := float64(done) / float64(s.Total)
		fill := int(frac * float64(width))
		bar := strings.Repeat("=", fill)
		if fill < width {
			bar += ">" + strings.Repeat(" ", width-fill-1)
		}
		fmt.Fprintf(&b, "%s/%s [%s] %3d%%", group(s.Items), group(s.Total), bar, int(frac*100))
	} else {
		fmt.Fprintf(&b, "%s items", group(s.Items))
	}
	fmt.Fprintf(&b, "  events %s", group(s.Events))
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "  skipped %s", group(s.Skipped))
	}
	switch {
	case s.Done:
		fmt.Fprintf(&b, "  done in %s", roundDur(elapsed))
	case s.Total > 0 && gained > 0 && elapsed > 0:
		left := float64(s.Total - s.Items)
		eta := time.Duration(left / float64(gained) * float64(elapsed))
		fmt.Fprintf(&b, "  ETA %s", roundDur(max(eta, 0)))
	case gained > 0 && elapsed >= time.Second:
		fmt.Fprintf(&b, "  %.1f/s", float64(gained)/elapsed.Seconds())
	}
	return b.String()
}

func roundDur(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Second:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

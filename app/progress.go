package app

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar with counts and an ETA, for long
// imports and demo loads. It redraws at most every 200ms.
type progress struct {
	w     io.Writer
	label string
	total int
	done  int
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: total, start: time.Now()}
}

func (p *progress) add(n int) {
	p.done += n
	if time.Since(p.last) < 200*time.Millisecond || p.done >= p.total {
		return // the last frame is drawn by finish
	}
	p.last = time.Now()
	p.draw()
}

func (p *progress) draw() {
	if p.w == nil {
		return
	}
	frac := 0.0
	if p.total > 0 {
		frac = float64(p.done) / float64(p.total)
	}
	if frac > 1 {
		frac = 1
	}
	const width = 30
	filled := int(frac * width)
	eta := "ETA --"
	if el := time.Since(p.start); p.done > 0 && frac < 1 {
		eta = "ETA " + (time.Duration(float64(el)/frac) - el).Round(time.Second).String()
	} else if frac >= 1 {
		eta = "done in " + time.Since(p.start).Round(100*time.Millisecond).String()
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %d/%d events, %s   ", p.label,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100, p.done, p.total, eta)
}

func (p *progress) finish() {
	if p.w == nil {
		return
	}
	p.draw()
	fmt.Fprintln(p.w)
}

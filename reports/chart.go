package reports

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Chart geometry, in SVG user units (the viewBox; the HTML scales it).
const (
	chartW      = 520
	chartH      = 190
	chartLeft   = 64
	chartRight  = 18
	chartTop    = 16
	chartBottom = 30
	lineColour  = "#1d4ed8"
)

// chartSVG draws a trend as a line chart: one polyline per run of
// measured periods (a period with nothing to measure leaves a gap, it is
// not drawn as zero), a dot per measured period, the latest value
// labelled, the axis from zero to a round number above the largest value.
func chartSVG(t Trend) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" data-measure="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		html.EscapeString(t.Measure), chartW, chartH, chartW, chartH, html.EscapeString(t.Title+", last "+strconv.Itoa(len(t.Points))+" periods"))
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	hi := 0.0
	n := 0
	for _, p := range t.Points {
		if p.Value != nil {
			hi = math.Max(hi, *p.Value)
			n++
		}
	}
	top, scale := niceTop(t.Unit, hi)
	y := func(v float64) float64 { return chartTop + plotH - v/top*plotH }
	x := func(i int) float64 {
		if len(t.Points) < 2 {
			return chartLeft + plotW/2
		}
		return chartLeft + float64(i)*plotW/float64(len(t.Points)-1)
	}
	// Grid and y labels at 0, half and the top.
	for _, f := range []float64{0, 0.5, 1} {
		v := top * f
		yy := y(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#d4d4d8" stroke-width="1"/>`, chartLeft, num(yy), chartW-chartRight, num(yy))
		label := axisLabel(t.Unit, v, scale)
		fmt.Fprintf(&b, `<text class="ylabel" x="%d" y="%s" text-anchor="end" font-size="11" fill="#52525b">%s</text>`, chartLeft-6, num(yy+4), html.EscapeString(label))
	}
	// X labels: first, middle and last period.
	if len(t.Points) > 0 {
		for _, i := range uniqueInts(0, len(t.Points)/2, len(t.Points)-1) {
			anchor := "middle"
			switch i {
			case 0:
				anchor = "start"
			case len(t.Points) - 1:
				anchor = "end"
			}
			fmt.Fprintf(&b, `<text class="xlabel" x="%s" y="%d" text-anchor="%s" font-size="11" fill="#52525b">%s</text>`, num(x(i)), chartH-10, anchor, html.EscapeString(t.Points[i].Label))
		}
	}
	if n == 0 {
		fmt.Fprintf(&b, `<text class="nodata" x="%s" y="%s" text-anchor="middle" font-size="13" fill="#71717a">Nothing to measure in these periods</text>`, num(chartLeft+plotW/2), num(chartTop+plotH/2))
		b.WriteString(`</svg>`)
		return b.String()
	}
	// Lines: one per run of consecutive measured periods.
	var run []string
	flush := func() {
		if len(run) > 0 {
			fmt.Fprintf(&b, `<polyline class="line" points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`, strings.Join(run, " "), lineColour)
			run = run[:0]
		}
	}
	for i, p := range t.Points {
		if p.Value == nil {
			flush()
			continue
		}
		run = append(run, num(x(i))+","+num(y(*p.Value)))
	}
	flush()
	last := -1
	for i, p := range t.Points {
		if p.Value == nil {
			continue
		}
		last = i
		fmt.Fprintf(&b, `<circle class="pt" cx="%s" cy="%s" r="3.2" fill="%s"><title>%s: %s</title></circle>`,
			num(x(i)), num(y(*p.Value)), lineColour, html.EscapeString(p.Label), html.EscapeString(p.Display))
	}
	if last >= 0 {
		p := t.Points[last]
		// Above the last dot, left of it, on a white halo over the line.
		ly := y(*p.Value) - 9
		if ly < chartTop+6 {
			ly = y(*p.Value) + 18
		}
		fmt.Fprintf(&b, `<text class="last" x="%s" y="%s" text-anchor="end" font-size="12" font-weight="700" fill="#18181b" stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke">%s</text>`,
			num(x(last)-4), num(ly), html.EscapeString(p.Display))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceTop is a round number above hi in the unit a reader sees (percent
// for ratios; minutes, hours or days for durations), and that unit's size.
func niceTop(unit string, hi float64) (top, scale float64) {
	scale = 1.0
	switch unit {
	case "ratio":
		scale = 0.01
	case "per_day":
		switch {
		case hi >= 1 || hi <= 0:
		case hi*7 >= 1:
			scale = 1.0 / 7
		default:
			scale = 1.0 / 30
		}
	case "seconds":
		switch {
		case hi < 90*60:
			scale = 60
		case hi < 36*3600:
			scale = 3600
		default:
			scale = 86400
		}
	}
	v := hi / scale
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return scale, scale
	}
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	// Steps whose half is round too: the middle grid line is labelled.
	for _, m := range []float64{1, 2, 4, 5, 10} {
		if m*mag >= v*1.0000001 {
			return m * mag * scale, scale
		}
	}
	return 10 * mag * scale, scale
}

// axisLabel writes an axis value in the axis' unit, so that the three
// labels of a chart read alike ("0", "12 h", "24 h").
func axisLabel(unit string, v, scale float64) string {
	if v == 0 {
		return "0"
	}
	n := trim(v/scale, 1)
	switch unit {
	case "seconds":
		switch scale {
		case 60:
			return n + " min"
		case 3600:
			return n + " h"
		}
		return n + " days"
	case "per_day":
		switch scale {
		case 1:
			return n + "/day"
		case 1.0 / 7:
			return n + "/week"
		}
		return n + "/month"
	}
	return format(unit, &v)
}

// num prints a coordinate with one decimal, no trailing zero.
func num(f float64) string { return trim(math.Round(f*10)/10, 1) }

func uniqueInts(xs ...int) []int {
	var out []int
	seen := map[int]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// sparkline draws a trend in text for Markdown: one block per period,
// a space where there was nothing to measure.
func sparkline(t Trend) string {
	const blocks = "▁▂▃▄▅▆▇█"
	bs := []rune(blocks)
	hi := 0.0
	for _, p := range t.Points {
		if p.Value != nil {
			hi = math.Max(hi, *p.Value)
		}
	}
	var b strings.Builder
	for _, p := range t.Points {
		switch {
		case p.Value == nil:
			b.WriteRune('·')
		case hi == 0:
			b.WriteRune(bs[0])
		default:
			// Measures are never negative; clamp anyway, so that bad data
			// draws the lowest bar rather than panicking.
			i := int(math.Round(*p.Value / hi * float64(len(bs)-1)))
			b.WriteRune(bs[min(max(i, 0), len(bs)-1)])
		}
	}
	return b.String()
}

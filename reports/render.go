package reports

import (
	"bytes"
	"embed"
	"encoding/json"
	htmltemplate "html/template"
	"io"
	"math"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/report.html templates/report.md
var templateFS embed.FS

// view is what the templates read: the report plus what is derived for
// display only.
type view struct {
	*Report
	ScopeSubject string
	Generated    string
	TrendCount   int
	TrendSpan    string
	Charts       []chartView
	loc          *time.Location
}

type chartView struct {
	Trend
	SVG    htmltemplate.HTML // drawn by chartSVG, which escapes every text
	Spark  string
	First  string
	Latest string
}

func newView(r *Report) view {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	v := view{Report: r, ScopeSubject: r.Scope.Subject(), loc: loc,
		Generated: r.GeneratedAt.In(loc).Format("Mon 2 Jan 2006 15:04 MST")}
	for _, t := range r.Trends {
		c := chartView{Trend: t, SVG: htmltemplate.HTML(chartSVG(t)), Spark: sparkline(t), First: "–", Latest: "–"}
		for _, p := range t.Points {
			if p.Value != nil {
				if c.First == "–" {
					c.First = p.Display
				}
				c.Latest = p.Display
			}
		}
		v.Charts = append(v.Charts, c)
		if n := len(t.Points); n > 0 {
			v.TrendCount = n
			first, last := t.Points[0], t.Points[n-1]
			span := dayWindow(first.From, last.To, loc)
			if r.Window.Days == 0 {
				span = Window{From: first.From, To: last.To}
			}
			v.TrendSpan = span.label(loc) + ", one point per " + periodNoun(r.Window)
		}
	}
	return v
}

func periodNoun(w Window) string {
	switch {
	case w.Days == 1:
		return "day"
	case w.Days == 7:
		return "week"
	case w.Months == 1:
		return "month"
	case w.Months == 3:
		return "quarter"
	case w.Days >= 28 && w.Days <= 31:
		return "month (of equal length)"
	case w.Days > 0:
		return trim(float64(w.Days), 0) + " days"
	}
	return "period of equal length"
}

func funcs(loc *time.Location) map[string]any {
	return map[string]any{
		"arrow": func(m Measure) string {
			switch {
			case m.Value == nil || m.Previous == nil || *m.Value == *m.Previous:
				return "→"
			case *m.Value > *m.Previous:
				return "▲"
			}
			return "▼"
		},
		"verdictClass": func(v string) string {
			if v == "" {
				return "neutral"
			}
			return v
		},
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
		"when": func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") },
		"int":  func(v *float64) int { return int(math.Round(*v)) },
		"md":   mdEscape,
	}
}

// mdEscape keeps a value from breaking a Markdown table or adding markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "\n", " ", "\r", " ")
	return r.Replace(s)
}

// RenderHTML writes the report as one self-contained HTML page: inline
// CSS and SVG, no script, no external resource; it prints on A4.
func RenderHTML(w io.Writer, r *Report) error {
	v := newView(r)
	t, err := htmltemplate.New("report.html").Funcs(funcs(v.loc)).ParseFS(templateFS, "templates/report.html")
	if err != nil {
		return err
	}
	return t.Execute(w, v)
}

// RenderMarkdown writes the report as Markdown (GitHub flavour: tables),
// the trends as text sparklines.
func RenderMarkdown(w io.Writer, r *Report) error {
	v := newView(r)
	t, err := texttemplate.New("report.md").Funcs(funcs(v.loc)).ParseFS(templateFS, "templates/report.md")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return err
	}
	// At most one blank line in a row.
	out := b.String()
	for strings.Contains(out, "\n\n\n") {
		out = strings.ReplaceAll(out, "\n\n\n", "\n\n")
	}
	_, err = io.WriteString(w, out)
	return err
}

// RenderJSON writes the report as indented JSON.
func RenderJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Render writes the report in one of the text formats (html, md, json);
// PDF needs a Chromium (see Chromium.PDF).
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatHTML:
		return RenderHTML(w, r)
	case FormatMarkdown:
		return RenderMarkdown(w, r)
	case FormatJSON:
		return RenderJSON(w, r)
	}
	return errUnknownFormat(format)
}

type errUnknownFormat string

func (e errUnknownFormat) Error() string {
	return "format " + string(e) + " is not html, pdf, md or json"
}

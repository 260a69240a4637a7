package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// goldenReport reads a golden report back (the renderers are views of it).
func goldenReport(t *testing.T, name string) *Report {
	t.Helper()
	b, err := os.ReadFile(goldenPath(name, FormatJSON))
	if err != nil {
		t.Fatalf("%v (go test ./reports -run TestReportsOnDemoData -update writes it)", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestRenderedByChromium renders the golden org report's HTML in headless
// Chromium: a PNG of the first A4 page is kept as an artefact and checked
// for the charts' ink, the rendered DOM is checked for the headline
// numbers and every chart's points, and the PDF is turned back into text
// and checked.
func TestRenderedByChromium(t *testing.T) {
	chrome := needChromium(t)
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	pdfinfo := needTool(t, "pdfinfo", "poppler-utils")
	rep := goldenReport(t, "org-last-week")
	var page bytes.Buffer
	if err := RenderHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	out := artefactDir(t)
	if err := os.WriteFile(filepath.Join(out, "org-last-week.html"), page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page.Bytes(), []byte("http://")) && !bytes.Contains(page.Bytes(), []byte(`xmlns="http://www.w3.org/2000/svg"`)) ||
		regexp.MustCompile(`(?i)<(script|link|img|iframe)\b`).Match(page.Bytes()) {
		t.Error("the HTML is not self-contained: it has scripts, links, images or frames")
	}
	ctx := context.Background()

	t.Run("screenshot", func(t *testing.T) {
		b, err := chrome.Exec(ctx, page.Bytes(), "report.png", "--screenshot={out}", "--window-size=1240,1754")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, "org-last-week.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != (image.Point{1240, 1754}) {
			t.Errorf("screenshot is %v, want 1240x1754", got)
		}
		// The chart lines and dots are the only things in their blue.
		line, dark := 0, 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				r, g, b = r>>8, g>>8, b>>8
				if near(r, 0x1d) && near(g, 0x4e) && near(b, 0xd8) {
					line++
				}
				if r < 80 && g < 80 && b < 80 {
					dark++
				}
			}
		}
		if line < 2000 {
			t.Errorf("only %d pixels of the chart line colour on the first page: the charts did not draw", line)
		}
		if dark < 5000 {
			t.Errorf("only %d dark pixels: the text did not draw", dark)
		}
		t.Logf("screenshot: %d chart-line pixels, %d text pixels; kept in %s", line, dark, filepath.Join(out, "org-last-week.png"))
	})

	t.Run("rendered DOM", func(t *testing.T) {
		b, err := chrome.Exec(ctx, page.Bytes(), "", "--dump-dom")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if h1 := find(doc, func(n *html.Node) bool { return n.Data == "h1" }); len(h1) != 1 || text(h1[0]) != rep.Title {
			t.Errorf("title: want one h1 %q", rep.Title)
		}
		cards := find(doc, hasClass("div", "card"))
		if len(cards) != len(rep.Headlines) {
			t.Fatalf("%d headline cards in the page, want %d", len(cards), len(rep.Headlines))
		}
		for i, c := range cards {
			m := rep.Headlines[i]
			if attr(c, "data-measure") != m.Name {
				t.Errorf("card %d is %s, want %s", i, attr(c, "data-measure"), m.Name)
			}
			v := find(c, hasClass("div", "value"))
			if len(v) != 1 || text(v[0]) != m.Display {
				t.Errorf("card %s: value %q, want %q", m.Name, textAll(v), m.Display)
			}
			if m.Value == nil || m.Display == "–" {
				t.Errorf("card %s has no number: the demo week measures it", m.Name)
			}
		}
		charts := find(doc, func(n *html.Node) bool { return n.Data == "svg" && strings.Contains(attr(n, "class"), "chart") })
		if len(charts) != len(rep.Trends) {
			t.Fatalf("%d charts, want %d", len(charts), len(rep.Trends))
		}
		for i, svg := range charts {
			tr := rep.Trends[i]
			want := 0
			for _, p := range tr.Points {
				if p.Value != nil {
					want++
				}
			}
			points := 0
			for _, pl := range find(svg, func(n *html.Node) bool { return n.Data == "polyline" }) {
				points += len(strings.Fields(attr(pl, "points")))
			}
			dots := len(find(svg, func(n *html.Node) bool { return n.Data == "circle" && attr(n, "class") == "pt" }))
			if attr(svg, "data-measure") != tr.Measure || points != want || dots != want {
				t.Errorf("chart %s: %d line points and %d dots, want %d of each", attr(svg, "data-measure"), points, dots, want)
			}
			if want < 10 {
				t.Errorf("chart %s: only %d measured weeks of 12 in the demo data", tr.Measure, want)
			}
			last := find(svg, func(n *html.Node) bool { return n.Data == "text" && attr(n, "class") == "last" })
			if len(last) != 1 || text(last[0]) != tr.Points[len(tr.Points)-1].Display {
				t.Errorf("chart %s: the latest value label is %q, want %q", tr.Measure, textAll(last), tr.Points[len(tr.Points)-1].Display)
			}
		}
	})

	t.Run("PDF", func(t *testing.T) {
		pdf, err := chrome.PDF(ctx, page.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(out, "org-last-week.pdf")
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := exec.Command(pdfinfo, path).CombinedOutput()
		if err != nil {
			t.Fatalf("pdfinfo: %v\n%s", err, info)
		}
		if !regexp.MustCompile(`Page size:\s+59\d(\.\d+)? x 84\d(\.\d+)? pts \(A4\)`).Match(info) {
			t.Errorf("not A4:\n%s", info)
		}
		pages := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(info)
		if pages == nil || string(pages[1]) == "1" {
			t.Errorf("want a report of several pages:\n%s", info)
		}
		txt, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		flat := strings.Join(strings.Fields(string(txt)), " ")
		for _, want := range []string{rep.Title, rep.WindowLabel, "Summary", "Headline measures", "Biggest moves by team", "Incidents and changes", "Forecasts"} {
			if !strings.Contains(flat, want) {
				t.Errorf("the PDF's text lacks %q", want)
			}
		}
		for _, m := range rep.Headlines {
			if !strings.Contains(flat, m.Title) || !strings.Contains(flat, m.Display) {
				t.Errorf("the PDF's text lacks the headline %s %s", m.Title, m.Display)
			}
		}
		if s := strings.Join(strings.Fields(rep.Summary[0]), " "); !strings.Contains(flat, s[:80]) {
			t.Errorf("the PDF's text lacks the summary's opening %q", s[:80])
		}
		t.Logf("PDF: %d bytes, %s pages; kept in %s", len(pdf), pages[1], path)
	})
}

func near(a, b uint32) bool { return a+24 >= b && b+24 >= a }

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func hasClass(tag, class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		return n.Data == tag && strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func textAll(ns []*html.Node) string {
	var parts []string
	for _, n := range ns {
		parts = append(parts, text(n))
	}
	return strings.Join(parts, " | ")
}

// TestMarkdownEscapesNamesFromData: team names and incident fields come
// from events, so the Markdown (also the email's text part) must not let
// them add links, HTML or table columns.
func TestMarkdownEscapesNamesFromData(t *testing.T) {
	rep := goldenReport(t, "org-last-week")
	evil := "pay|ments [click](http://evil.example) <script>x</script>"
	rep.Summary = append(rep.Summary, "Team "+evil+" deployed.")
	if len(rep.Movers.Improvements) == 0 || len(rep.Incidents.Notable) == 0 {
		t.Fatal("the golden report lacks movers or notable incidents")
	}
	rep.Movers.Improvements[0].Group = evil
	rep.Incidents.Notable[0].Priority = "P1|x"
	var b bytes.Buffer
	if err := RenderMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, bad := range []string{"[click](http", "<script>", "pay|ments", "P1|x"} {
		if strings.Contains(md, bad) {
			t.Errorf("the Markdown has %q unescaped", bad)
		}
	}
}

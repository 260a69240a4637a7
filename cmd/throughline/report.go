package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/throughline/throughline/app"
	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/reports"
)

func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", "Writes the executive report for a period and a scope, ad hoc: headline DORA, service-management\n"+
		"and flow measures with tiers and change against the previous period, trends, biggest moves,\n"+
		"incidents and changes, and a plain-language summary. Reads the same store as serve (stop serve\n"+
		"first when both use the embedded engine on one --data directory). PDF needs Chromium.", stderr)
	var sf storeFlags
	sf.register(fs)
	period := fs.String("period", "last-week", "last-week, last-month, last-quarter, last-Nd, or FROM..TO (dates, both included, or RFC 3339)")
	scope := fs.String("scope", "org", "org, portfolio:X, product:X, team:X or service:X")
	format := fs.String("format", "", "html, pdf, md or json (default: from --out's extension, else html)")
	out := fs.String("out", "", "file to write (default: standard output)")
	zone := fs.String("time-zone", "UTC", "IANA time zone of the report's days (Europe/London)")
	title := fs.String("title", "", "title (default: Engineering performance: <scope>)")
	chromium := fs.String("chromium", "", "Chromium for PDF (default: /usr/bin/chromium or on the PATH)")
	useDemo := fs.Bool("demo", false, "fill an empty store with the demo data first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("report: unexpected argument %q (flags only)", fs.Arg(0))
	}
	sc, err := reports.ParseScope(*scope)
	if err != nil {
		return fmt.Errorf("--scope: %w", err)
	}
	per, err := reports.ParsePeriod(*period)
	if err != nil {
		return fmt.Errorf("--period: %w", err)
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		return fmt.Errorf("--time-zone: %q is not an IANA time zone", *zone)
	}
	f := *format
	if f == "" {
		f = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
		if f == "markdown" {
			f = reports.FormatMarkdown
		}
		if f == "" || f == "htm" {
			f = reports.FormatHTML
		}
	}
	switch f {
	case reports.FormatHTML, reports.FormatPDF, reports.FormatMarkdown, reports.FormatJSON:
	default:
		return fmt.Errorf("--format: %q is not html, pdf, md or json", f)
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	st, err := app.OpenStore(cfg)
	if err != nil {
		return err
	}
	defer st.Engine().Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	catalog := cfg.Catalog
	if *useDemo {
		if _, err := app.LoadDemo(ctx, st, demo.Options{}, stderr); err != nil {
			return err
		}
		if len(catalog.Services) == 0 {
			catalog = demo.Catalog(demo.Options{})
		}
	}
	computer, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &catalog})
	if err != nil {
		return err
	}
	builder, err := reports.NewBuilder(reports.BuilderOptions{Store: st, Computer: computer})
	if err != nil {
		return err
	}
	started := time.Now()
	rep, err := builder.Build(ctx, reports.Request{Scope: sc, Period: per, Location: loc, Title: *title})
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if f == reports.FormatPDF {
		if err := reports.RenderHTML(&body, rep); err != nil {
			return err
		}
		pdf, err := (&reports.Chromium{Path: *chromium}).PDF(ctx, body.Bytes())
		if err != nil {
			return err
		}
		body.Reset()
		body.Write(pdf)
	} else if err := reports.Render(&body, rep, f); err != nil {
		return err
	}
	if *out == "" {
		if _, err := stdout.Write(body.Bytes()); err != nil {
			return err
		}
	} else if err := os.WriteFile(*out, body.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	rec := reports.RunRecord{
		ID: "adhoc-" + started.UTC().Format("20060102T150405.000Z"), Name: "adhoc", Trigger: reports.TriggerAdhoc,
		Scheduled: started, Started: started, Finished: time.Now(), Scope: sc.String(), Period: per.String(),
		From: rep.Window.From, To: rep.Window.To, TimeZone: loc.String(), Formats: []string{f},
		Recipients: []string{}, Outcome: reports.OutcomeSuccess,
	}
	if *out != "" {
		rec.Recipients = []string{"file:" + *out}
	}
	if err := reports.RecordRun(ctx, st, rec); err != nil {
		fmt.Fprintln(stderr, "throughline: report written, but the run was not recorded:", err)
	}
	if *out != "" {
		fmt.Fprintf(stderr, "wrote %s: %s, %s (%s)\n", *out, rep.ScopeLabel, rep.WindowLabel, f)
	}
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/throughline/throughline/app"
	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/metrics"
)

func measures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("measures", "Prints the measures for a window and scope. Reads the same store as serve; when a\n"+
		"running serve holds the embedded store of --data, asks that serve over HTTP instead.", stderr)
	var sf storeFlags
	sf.register(fs)
	from := fs.String("from", "", "window start, RFC 3339 or YYYY-MM-DD (default: 30 days before --to)")
	to := fs.String("to", "", "window end, exclusive (default: now)")
	groupBy := fs.String("group-by", "", "group by service, team, product or portfolio")
	service := fs.String("service", "", "only this service")
	team := fs.String("team", "", "only this team")
	product := fs.String("product", "", "only this product")
	format := fs.String("format", "table", "output: table or json")
	useDemo := fs.Bool("demo", false, "fill an empty store with the demo data first")
	server := fs.String("server", "", "ask a running Throughline at this URL (http://host:port) instead of opening the store\n(with the config's first API token, if any)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	q := metrics.Query{GroupBy: *groupBy, Service: *service, Team: *team, Product: *product, To: time.Now().UTC()}
	if *to != "" {
		if q.To, err = parseWhen(*to); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	q.From = q.To.Add(-30 * 24 * time.Hour)
	if *from != "" {
		if q.From, err = parseWhen(*from); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	if err := q.Validate(); err != nil {
		return err
	}
	print := func(rep *metrics.Report) error {
		if *format == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		return printTable(stdout, rep)
	}
	token := ""
	if len(cfg.APITokens) > 0 {
		token = cfg.APITokens[0]
	}
	if *server != "" {
		rep, err := remoteMeasures(ctx, *server, token, q)
		if err != nil {
			return err
		}
		return print(rep)
	}
	st, err := app.OpenStore(cfg)
	var busy *app.BusyError
	if errors.As(err, &busy) && !*useDemo {
		fmt.Fprintf(stderr, "%s is held by `throughline serve` (pid %d): asking it at %s\n", busy.Data, busy.PID, busy.URL)
		rep, err := remoteMeasures(ctx, busy.URL, token, q)
		if err != nil {
			return err
		}
		return print(rep)
	}
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
	c, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &catalog})
	if err != nil {
		return err
	}
	rep, err := c.Compute(ctx, q)
	if err != nil {
		return err
	}
	return print(rep)
}

// remoteMeasures asks a running Throughline's GET /api/v1/measures.
func remoteMeasures(ctx context.Context, base, token string, q metrics.Query) (*metrics.Report, error) {
	u, err := url.Parse(strings.TrimRight(base, "/") + "/api/v1/measures")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server: %q is not an http(s) URL", base)
	}
	v := url.Values{"from": {q.From.Format(time.RFC3339)}, "to": {q.To.Format(time.RFC3339)}}
	for k, s := range map[string]string{"group_by": q.GroupBy, "service": q.Service, "team": q.Team, "product": q.Product} {
		if s != "" {
			v.Set(k, s)
		}
	}
	u.RawQuery = v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("asking %s: %w", base, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s answered %s: %s", base, resp.Status, e.Error)
		}
		return nil, fmt.Errorf("%s answered %s", base, resp.Status)
	}
	var rep metrics.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, fmt.Errorf("%s: the measures are not JSON: %w", base, err)
	}
	return &rep, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
}

// printTable shows one row per measure and one column per group, with
// durations in human units and the tier beside the value.
func printTable(w io.Writer, rep *metrics.Report) error {
	fmt.Fprintf(w, "Window %s .. %s", rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339))
	if rep.GroupBy != "" {
		fmt.Fprintf(w, ", by %s", rep.GroupBy)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"measure"}
	for _, g := range rep.Groups {
		k := g.Key
		if k == "" {
			k = "all"
		}
		head = append(head, k)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, d := range metrics.Definitions {
		row := []string{d.Name}
		for _, g := range rep.Groups {
			cell := humanize(d, g.Measures[d.Name])
			if t := g.Tiers[d.Name]; t != nil {
				cell += " (" + *t + ")"
			}
			row = append(row, cell)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func humanize(d metrics.Definition, v *float64) string {
	if v == nil {
		return "-"
	}
	switch d.Unit {
	case "seconds":
		return (time.Duration(*v) * time.Second).Round(time.Minute).String()
	case "ratio":
		return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	case "per_day":
		return strconv.FormatFloat(*v, 'f', 2, 64) + "/day"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

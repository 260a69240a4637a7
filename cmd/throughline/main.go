// Command throughline measures how work flows from idea to production and
// through IT service management. See `throughline help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/throughline/throughline/app"
	"github.com/throughline/throughline/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `throughline: DORA, service-management and flow measures from your delivery,
ITSM and portfolio tools, stored in ClickHouse.

Usage:
  throughline <command> [flags]

Commands:
  serve      run the API, webhooks and /metrics (embedded ClickHouse unless --clickhouse)
  measures   print the measures for a window and scope in the terminal
  report     write the executive report (html, pdf, md, json) for a period and scope
  dashboards write the Grafana dashboards (JSON) to a directory, for provisioning
  backtest   replay a stored history: forecast accuracy and alert detection (--demo for the demo year)
  import     read a tool's history through its REST API (github, gitlab, bitbucket, azure-devops, servicenow, jira)
  migrate    apply the ClickHouse schema and exit
  version    print the version

Run 'throughline <command> --help' for the flags of a command.
Environment: THROUGHLINE_CLICKHOUSE_URL (DSN), THROUGHLINE_API_TOKENS (comma-separated),
CHDB_LIB_PATH (path to libchdb.so for the embedded engine).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "throughline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "measures":
		return measures(ctx, args[1:], stdout, stderr)
	case "report":
		return reportCmd(ctx, args[1:], stdout, stderr)
	case "dashboards":
		return dashboardsCmd(ctx, args[1:], stdout, stderr)
	case "backtest":
		return backtestCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "throughline", version)
		return nil
	}
	return fmt.Errorf("unknown command %q (try: throughline help)", args[0])
}

// storeFlags are the flags every command that opens the store shares.
type storeFlags struct {
	config, data, clickhouse, logLevel string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.config, "config", "", "YAML configuration file (catalog, tokens, limits)")
	fs.StringVar(&s.data, "data", "", "data directory for embedded ClickHouse and the spool (default ./data)")
	fs.StringVar(&s.clickhouse, "clickhouse", "", "ClickHouse server DSN clickhouse://user:pass@host:9000/db (default: $THROUGHLINE_CLICKHOUSE_URL, else embedded)")
	fs.StringVar(&s.logLevel, "log-level", "info", "log level: debug, info, warn, error")
}

// load reads the configuration and applies flags and environment, which
// win over the file.
func (s *storeFlags) load() (*config.Config, error) {
	cfg, err := config.Load(s.config)
	if err != nil {
		return nil, err
	}
	if v := os.Getenv("THROUGHLINE_CLICKHOUSE_URL"); v != "" {
		cfg.ClickHouse = v
	}
	if s.clickhouse != "" {
		cfg.ClickHouse = s.clickhouse
	}
	if s.data != "" {
		cfg.Data = s.data
	}
	if v := os.Getenv("THROUGHLINE_API_TOKENS"); v != "" {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				cfg.APITokens = append(cfg.APITokens, t)
			}
		}
	}
	return cfg, cfg.Validate()
}

func (s *storeFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", s.logLevel)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}

func newFlagSet(name, summary string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: throughline %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("serve", "Runs the REST API (/api/v1), webhooks (/webhooks), /metrics, /healthz and /readyz.\n"+
		"Without --clickhouse it uses embedded ClickHouse under --data. With --demo, an empty store\n"+
		"is filled with a year of a synthetic organisation so the measures show at once.", stderr)
	var sf storeFlags
	sf.register(fs)
	listen := fs.String("listen", "", "HTTP address (default 127.0.0.1:8080; other than loopback needs API tokens)")
	demo := fs.Bool("demo", false, "load demo data when the store is empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	log, err := sf.logger(stderr)
	if err != nil {
		return err
	}
	return app.Run(ctx, app.Options{Config: cfg, Demo: *demo, Version: version, Logger: log, Progress: stderr})
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", "Creates the database and applies every pending schema migration, then exits.\n"+
		"With --cluster NAME (a server's remote_servers entry) it creates the cluster variant: replicated\n"+
		"tables ON CLUSTER and a Distributed table over them under each original name.", stderr)
	var sf storeFlags
	sf.register(fs)
	cluster := fs.String("cluster", "", "ClickHouse cluster name for the replicated schema (server mode only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	if *cluster != "" {
		cfg.ClickHouseCluster = *cluster
	}
	st, err := app.OpenStore(cfg)
	if err != nil {
		return err
	}
	defer st.Engine().Close()
	if cfg.ClickHouseCluster != "" && st.Engine().Kind() != "server" {
		return fmt.Errorf("--cluster needs a ClickHouse server (--clickhouse or THROUGHLINE_CLICKHOUSE_URL)")
	}
	if err := app.Migrate(ctx, st, cfg.ClickHouseCluster); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema up to date (%s engine, database %s)\n", st.Engine().Kind(), st.Database())
	return nil
}

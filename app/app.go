package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"golang.org/x/sync/errgroup"

	"github.com/throughline/throughline/alerting"
	"github.com/throughline/throughline/config"
	"github.com/throughline/throughline/dashboards"
	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/sources"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/reports"
	"github.com/throughline/throughline/server"
)

// Options configure one run of the service.
type Options struct {
	Config *config.Config
	// Demo loads the demo organisation when the store is empty.
	Demo    bool
	Version string
	Logger  *slog.Logger
	// Progress receives progress bars (stderr); nil for none.
	Progress io.Writer
	// Listening, when set, is called with the bound address (tests use :0).
	Listening func(addr string)
}

// CheckListen refuses a non-loopback address when no API token is
// configured: an open analytics API must be a deliberate choice.
func CheckListen(addr string, tokens []string) error {
	if len(tokens) > 0 {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to listen on %s without API tokens: set api_tokens in the config (or THROUGHLINE_API_TOKENS), or listen on 127.0.0.1", addr)
	}
	return nil
}

// Run starts the service and blocks until ctx ends, then shuts down in
// order: HTTP stops taking requests and drains, then pending events are
// flushed to ClickHouse or the spool.
func Run(ctx context.Context, o Options) error {
	cfg := o.Config
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := CheckListen(cfg.Listen, cfg.APITokens); err != nil {
		return err
	}
	st, err := OpenStore(cfg)
	if err != nil {
		return err
	}
	defer st.Engine().Close()
	log.Info("store opened", "engine", st.Engine().Kind(), "database", st.Database())

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	queryDur := promauto.With(reg).NewHistogramVec(prometheus.HistogramOpts{
		Name: "throughline_query_duration_seconds", Help: "Time to run one measure query.",
		Buckets: prometheus.ExponentialBuckets(0.002, 2.5, 12),
	}, []string{"query"})
	promauto.With(reg).NewGaugeFunc(prometheus.GaugeOpts{
		Name: "throughline_build_info", Help: "Always 1; the version label says which build.",
		ConstLabels: prometheus.Labels{"version": o.Version, "engine": st.Engine().Kind()},
	}, func() float64 { return 1 })

	migrated := make(chan struct{})
	var migrateErr error
	if st.Engine().Kind() == "embedded" {
		if cfg.ClickHouseCluster != "" {
			return errors.New("clickhouse_cluster is set but no server is configured: the embedded engine cannot run a cluster schema")
		}
		if err := st.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		close(migrated)
	} else {
		go func() {
			migrateErr = migrateWithRetry(ctx, st, cfg.ClickHouseCluster, log)
			close(migrated)
		}()
	}

	catalog := cfg.Catalog
	if o.Demo {
		// Wait for the schema: the demo goes into it.
		select {
		case <-migrated:
		case <-ctx.Done():
			return ctx.Err()
		}
		if migrateErr != nil {
			return migrateErr
		}
		dopts := demo.Options{}
		n, err := LoadDemo(ctx, st, dopts, o.Progress)
		if err != nil {
			return err
		}
		if len(catalog.Services) == 0 {
			catalog = demo.Catalog(dopts)
		}
		if n > 0 {
			log.Info("demo data loaded", "events", n)
		}
	}

	computer, err := metrics.NewComputer(metrics.Options{
		Store: st, Catalog: &catalog, Logger: log.With("component", "metrics"),
		Observe: func(q string, d time.Duration) { queryDur.WithLabelValues(q).Observe(d.Seconds()) },
	})
	if err != nil {
		return err
	}
	exporter, err := metrics.NewExporter(metrics.ExporterOptions{
		Computer: computer, Window: time.Duration(cfg.MetricsWindow), Refresh: time.Duration(cfg.MetricsRefresh),
		Logger: log.With("component", "exporter"),
	})
	if err != nil {
		return err
	}
	reg.MustRegister(exporter)

	events := eventstore.New(st)
	pipeline, err := ingest.NewPipeline(ingest.PipelineOptions{
		Writer: events, SpoolDir: filepath.Join(cfg.Data, "spool"),
		Linker: &eventstore.Linker{Store: st, O: eventstore.LinkOptions{
			Window: time.Duration(*cfg.IncidentLinkWindow), Environments: catalog.Environments(),
		}},
		Logger: log.With("component", "ingest"), Registry: reg,
	})
	if err != nil {
		return err
	}
	sched, err := reports.NewScheduler(reports.Options{
		Store: st, Computer: computer, Catalog: &catalog, Config: cfg.Reports,
		OutDir: filepath.Join(cfg.Data, "reports"), Logger: log,
	})
	if err != nil {
		return err
	}
	checkpoints, err := poll.OpenCheckpoints(filepath.Join(cfg.Data, "checkpoints"))
	if err != nil {
		return err
	}
	pollOpts := cfg.PollSources()
	pollOpts.Logger = log.With("component", "poll")
	poller, err := poll.NewScheduler(poll.SchedulerOptions{
		Config: &cfg.Polling, Build: sources.Builder(pollOpts), Checkpoints: checkpoints,
		Sink: pipelineSink(pipeline, "poll"), Logger: log.With("component", "poll"), Registry: reg,
	})
	if err != nil {
		return err
	}
	alerts, err := alerting.New(alerting.Options{
		Store: st, Computer: computer, Config: cfg.Alerting, DataDir: filepath.Join(cfg.Data, "alerting"),
		Sink: pipelineSink(pipeline, "alerting"), Registry: reg, Logger: log.With("component", "alerting"),
	})
	if err != nil {
		return err
	}
	webhooks, custom, err := Webhooks(cfg)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{
		Pipeline: pipeline, Events: events, Measures: computer, Gatherer: reg,
		Tokens: cfg.APITokens, MaxBodyBytes: cfg.MaxBodyBytes, Webhooks: webhooks, CustomWebhooks: custom,
		Mounts: []server.Mount{
			dashboards.Mount(dashboards.Options{Database: st.Database()}),
			sched.Mount(),
			alerts.Mount(),
		},
		Logger: log.With("component", "http"),
		Ready: func(ctx context.Context) error {
			select {
			case <-migrated:
			default:
				return errors.New("migrations not applied yet")
			}
			if migrateErr != nil {
				return migrateErr
			}
			if err := st.Engine().Ping(ctx); err != nil {
				return fmt.Errorf("clickhouse unreachable: %w", err)
			}
			if n, err := st.Pending(ctx); err != nil || n > 0 {
				return fmt.Errorf("%d migrations pending (%v)", n, err)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if o.Listening != nil {
		o.Listening(ln.Addr().String())
	}
	if cfg.ClickHouse == "" {
		// Other commands on this data directory cannot open the embedded
		// store while it is held here: tell them where to ask instead.
		if err := writeServeInfo(cfg.Data, ln.Addr().String()); err != nil {
			log.Warn("cannot record the serve address in the data directory", "err", err)
		}
		defer removeServeInfo(cfg.Data)
	}
	log.Info("listening", "addr", ln.Addr().String())
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}

	// The pipeline outlives HTTP: it stops after the last request is
	// answered, so nothing acknowledged is left unwritten.
	pipeCtx, stopPipe := context.WithCancel(context.Background())
	defer stopPipe()
	pipeDone := make(chan error, 1)
	go func() { pipeDone <- pipeline.Run(pipeCtx) }()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := httpSrv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-migrated
		return exporter.Run(gctx)
	})
	g.Go(func() error {
		<-migrated
		return sched.Run(gctx)
	})
	g.Go(func() error {
		<-migrated
		return poller.Run(gctx)
	})
	g.Go(func() error {
		<-migrated
		return alerts.Run(gctx)
	})
	g.Go(func() error {
		<-gctx.Done()
		shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return httpSrv.Shutdown(shutCtx)
	})
	err = g.Wait()
	stopPipe()
	<-pipeDone
	log.Info("stopped")
	return err
}

// ensure the queries package stays a direct dependency of the wiring.
var _ = queries.ErrUnavailable

// pipelineSink stores polled events through the ingest pipeline, so they
// are linked, batched and spooled like webhook events; it returns once
// they are durable.
func pipelineSink(p *ingest.Pipeline, source string) poll.Sink {
	return func(ctx context.Context, events []ingest.Event) error {
		now := time.Now().UTC()
		recs := make([]ingest.Record, len(events))
		for i, e := range events {
			e.Normalize()
			recs[i] = ingest.Record{Event: e, Received: now, Version: uint64(now.UnixNano()) + uint64(i)}
		}
		return p.Submit(ctx, recs, nil)
	}
}

package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/throughline/throughline/config"
	"github.com/throughline/throughline/queries"
)

// OpenStore opens the configured engine: a ClickHouse server when a DSN is
// given, the embedded engine under <data>/clickhouse otherwise.
func OpenStore(cfg *config.Config) (*queries.Store, error) {
	if cfg.ClickHouse != "" {
		opts, db, err := queries.ParseDSN(cfg.ClickHouse)
		if err != nil {
			return nil, err
		}
		eng, err := queries.OpenServer(opts)
		if err != nil {
			return nil, err
		}
		return queries.NewStore(queries.Options{Engine: eng, Database: db})
	}
	eng, err := queries.OpenEmbedded(filepath.Join(cfg.Data, "clickhouse"))
	if err != nil {
		if si, ok := ReadServeInfo(cfg.Data); ok && si.PID != os.Getpid() {
			return nil, &BusyError{Data: cfg.Data, ServeInfo: si, Err: err}
		}
		return nil, fmt.Errorf("embedded ClickHouse: %w", err)
	}
	return queries.NewStore(queries.Options{Engine: eng, Database: "throughline"})
}

// migrateWithRetry applies migrations, retrying while a server is
// unreachable, until it succeeds or ctx ends. The embedded engine either
// works at once or not at all.
func migrateWithRetry(ctx context.Context, st *queries.Store, cluster string, log *slog.Logger) error {
	delay := time.Second
	for {
		err := Migrate(ctx, st, cluster)
		if err == nil {
			return nil
		}
		if st.Engine().Kind() == "embedded" {
			return err
		}
		log.Warn("migrations not applied yet, retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if delay < 30*time.Second {
			delay *= 2
		}
	}
}

// Migrate applies the schema: the cluster variant (replicated tables and a
// distributed table over them) when cluster is named, else the plain one.
func Migrate(ctx context.Context, st *queries.Store, cluster string) error {
	if cluster != "" {
		return st.MigrateCluster(ctx, cluster)
	}
	return st.Migrate(ctx)
}

package chtest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/throughline/throughline/queries"
)

// Engine is one engine under test with a fresh, migrated database.
type Engine struct {
	Name  string // "server" or "embedded"
	Store *queries.Store
}

var (
	embOnce sync.Once
	emb     *queries.Embedded
	embDir  string
	embErr  error
	dbSeq   atomic.Int64
)

// Embedded returns the process's embedded engine (chDB allows one).
func Embedded(tb testing.TB) *queries.Embedded {
	tb.Helper()
	embOnce.Do(func() {
		embDir, embErr = os.MkdirTemp("", "throughline-chdb-")
		if embErr == nil {
			emb, embErr = queries.OpenEmbedded(embDir)
		}
	})
	if embErr != nil {
		tb.Fatalf("embedded clickhouse for tests: %v", embErr)
	}
	return emb
}

// Server returns an engine connected to the shared test server.
func Server(tb testing.TB) *queries.Server {
	tb.Helper()
	srv := SharedServer(tb)
	opts, _, err := queries.ParseDSN(srv.DSN("default"))
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := queries.OpenServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { eng.Close() })
	return eng
}

// NewDatabaseName returns a database name unique in this process.
func NewDatabaseName(tb testing.TB) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, tb.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("t%d_%d_%s", os.Getpid()%100000, dbSeq.Add(1), name)
}

// NewStore migrates a fresh database on eng and returns its store. The
// database is dropped when the test ends.
func NewStore(tb testing.TB, eng queries.Engine) *queries.Store {
	tb.Helper()
	db := NewDatabaseName(tb)
	st, err := queries.NewStore(queries.Options{Engine: eng, Database: db})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := waitCtx()
	defer cancel()
	if err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s on %s: %v", db, eng.Kind(), err)
	}
	tb.Cleanup(func() {
		ctx, cancel := waitCtx()
		defer cancel()
		_ = eng.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
	})
	return st
}

// Engines returns a fresh store on each engine: the server and the
// embedded one. Every query test runs on both.
func Engines(tb testing.TB) []Engine {
	tb.Helper()
	return []Engine{
		{Name: "server", Store: NewStore(tb, Server(tb))},
		{Name: "embedded", Store: NewStore(tb, Embedded(tb))},
	}
}

// Main is for TestMain: it runs the tests and stops the shared server.
func Main(m *testing.M) {
	code := m.Run()
	cleanupShared()
	if emb != nil {
		emb.Close()
		_ = os.RemoveAll(embDir)
	}
	os.Exit(code)
}

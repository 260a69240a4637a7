package queries_test

import (
	"context"
	"strings"
	"testing"

	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestMigrateIsIdempotent(t *testing.T) {
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			// NewStore has migrated once; twice more must change nothing.
			for i := 0; i < 2; i++ {
				if err := e.Store.Migrate(ctx); err != nil {
					t.Fatalf("migrate again: %v", err)
				}
			}
			n, err := e.Store.Pending(ctx)
			if err != nil || n != 0 {
				t.Fatalf("pending = %d, %v; want 0", n, err)
			}
			res, err := e.Store.Query(ctx, "applied_migrations.sql", nil)
			if err != nil {
				t.Fatal(err)
			}
			ms, _ := queries.Migrations()
			if res.Len() != len(ms) {
				t.Fatalf("applied %d migrations, want %d", res.Len(), len(ms))
			}
		})
	}
}

func TestLiteralEscapes(t *testing.T) {
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			for _, s := range []string{"plain", "it's", `back\slash`, "new\nline", "tab\t", "ünï©ødé", "'; DROP TABLE x; --", "\x00nul"} {
				lit, err := queries.Literal("String", s)
				if err != nil {
					t.Fatal(err)
				}
				res, err := e.Store.Engine().Query(context.Background(), "SELECT "+lit+" AS s")
				if err != nil {
					t.Fatalf("%q: %v", s, err)
				}
				if got := res.String(0, "s"); got != s {
					t.Errorf("round trip of %q gave %q", s, got)
				}
			}
		})
	}
}

func TestBindRejectsMissingParameter(t *testing.T) {
	st, err := queries.NewStore(queries.Options{Engine: chtest.Embedded(t), Database: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.SQL("record_migration.sql", queries.Params{"version": 1})
	if err == nil || !strings.Contains(err.Error(), "no value for parameter") {
		t.Fatalf("err = %v, want missing parameter", err)
	}
}

package queries_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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

func TestPayloadRoundTrip(t *testing.T) {
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			body := []byte(`{"ref":"refs/heads/main","commits":[{"id":"9f1c2e0","message":"Fix \"quotes\" and ünïcode\n"}]}`)
			p := queries.PayloadRow{ID: "abc123", Source: "github", ContentType: "application/json", Received: time.Date(2026, 11, 20, 10, 4, 0, 0, time.UTC), Body: body}
			if err := e.Store.InsertEvents(context.Background(), nil, []queries.PayloadRow{p}); err != nil {
				t.Fatal(err)
			}
			got, ok, err := e.Store.Payload(context.Background(), "abc123")
			if err != nil || !ok {
				t.Fatalf("payload: %v %v", ok, err)
			}
			if string(got.Body) != string(body) || got.Source != "github" || !got.Received.Equal(p.Received) {
				t.Fatalf("got %+v", got)
			}
			if _, ok, _ := e.Store.Payload(context.Background(), "missing"); ok {
				t.Fatal("found a payload that was never stored")
			}
		})
	}
}

// TestLargeStatements: a catalog of thousands of services is bound into
// statements as literal arrays; both engines must accept them.
func TestLargeStatements(t *testing.T) {
	names := make([]string, 20000)
	for i := range names {
		names[i] = fmt.Sprintf("service-with-a-long-name-%05d", i)
	}
	lit, err := queries.Literal("Array(String)", names)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			res, err := e.Store.Engine().Query(context.Background(), "SELECT length("+lit+") AS n")
			if err != nil {
				t.Fatalf("%d-byte statement: %v", len(lit), err)
			}
			if res.Int(0, "n") != 20000 {
				t.Fatalf("n = %d", res.Int(0, "n"))
			}
		})
	}
}

package queries_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
)

// codeRE reads a ClickHouse error code (the server driver writes "code:").
var codeRE = regexp.MustCompile(`(?i)code: (\d+)`)

func TestClusterDDL(t *testing.T) {
	for _, tc := range []struct {
		name string
		stmt string
		want []string
		err  string
	}{
		{
			name: "database",
			stmt: "-- creates it\nCREATE DATABASE IF NOT EXISTS tl",
			want: []string{"CREATE DATABASE IF NOT EXISTS tl ON CLUSTER prod"},
		},
		{
			name: "replacing merge tree",
			stmt: "CREATE TABLE IF NOT EXISTS tl.events (\n    source String,\n    id String,\n    ver UInt64\n) ENGINE = ReplacingMergeTree(ver)\nPARTITION BY toYYYYMM(time)\nORDER BY (type, source, id)",
			want: []string{
				"CREATE TABLE IF NOT EXISTS tl.events_local ON CLUSTER prod (\n    source String,\n    id String,\n    ver UInt64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tl/events_local', '{replica}', ver)\nPARTITION BY toYYYYMM(time)\nORDER BY (type, source, id)",
				"CREATE TABLE IF NOT EXISTS tl.events ON CLUSTER prod AS tl.events_local ENGINE = Distributed('prod', 'tl', 'events_local', cityHash64(type, source, id))",
			},
		},
		{
			name: "merge tree without arguments, ordered by one column",
			stmt: "CREATE TABLE tl.schema_migrations (version UInt32) ENGINE = MergeTree PARTITION BY tuple() ORDER BY version",
			want: []string{
				"CREATE TABLE tl.schema_migrations_local ON CLUSTER prod (version UInt32) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/tl/schema_migrations_local', '{replica}')\nPARTITION BY tuple() ORDER BY version",
				"CREATE TABLE tl.schema_migrations ON CLUSTER prod AS tl.schema_migrations_local ENGINE = Distributed('prod', 'tl', 'schema_migrations_local', cityHash64(version))",
			},
		},
		{
			name: "no order key shards at random",
			stmt: "CREATE TABLE tl.log (x String) ENGINE = MergeTree ORDER BY tuple()",
			want: []string{
				"CREATE TABLE tl.log_local ON CLUSTER prod (x String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/tl/log_local', '{replica}')\nORDER BY tuple()",
				"CREATE TABLE tl.log ON CLUSTER prod AS tl.log_local ENGINE = Distributed('prod', 'tl', 'log_local', rand())",
			},
		},
		{
			name: "column change goes to both tables",
			stmt: "ALTER TABLE tl.events ADD COLUMN capability String",
			want: []string{
				"ALTER TABLE tl.events_local ON CLUSTER prod ADD COLUMN capability String",
				"ALTER TABLE tl.events ON CLUSTER prod ADD COLUMN capability String",
			},
		},
		{
			name: "partition drop goes to the data",
			stmt: "ALTER TABLE tl.events DROP PARTITION 202401",
			want: []string{"ALTER TABLE tl.events_local ON CLUSTER prod DROP PARTITION 202401"},
		},
		{
			name: "drop table",
			stmt: "DROP TABLE IF EXISTS tl.old",
			want: []string{"DROP TABLE IF EXISTS tl.old ON CLUSTER prod", "DROP TABLE IF EXISTS tl.old_local ON CLUSTER prod"},
		},
		{
			name: "view",
			stmt: "CREATE VIEW IF NOT EXISTS tl.v AS SELECT 1 AS x",
			want: []string{"CREATE VIEW IF NOT EXISTS tl.v ON CLUSTER prod AS SELECT 1 AS x"},
		},
		{
			name: "insert runs once",
			stmt: "INSERT INTO tl.schema_migrations (version) SELECT 1 AS version",
			want: []string{"INSERT INTO tl.schema_migrations (version) SELECT 1 AS version"},
		},
		{name: "already replicated", stmt: "CREATE TABLE tl.x (a String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a", err: "has no Replicated form"},
		{name: "log engine", stmt: "CREATE TABLE tl.x (a String) ENGINE = Log", err: "has no Replicated form"},
		{name: "materialized view", stmt: "CREATE MATERIALIZED VIEW tl.mv ENGINE = MergeTree ORDER BY a AS SELECT 1 AS a", err: "no cluster form"},
		{name: "no order by", stmt: "CREATE TABLE tl.x (a String) ENGINE = MergeTree PARTITION BY a", err: "no ORDER BY"},
		{name: "unbalanced", stmt: "CREATE TABLE tl.x (a Array(String) ENGINE = MergeTree ORDER BY a", err: "unbalanced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := queries.ClusterDDL(tc.stmt, "prod")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want error %q, got %v (%q)", tc.err, err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n;\n") != strings.Join(tc.want, "\n;\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n;\n"), strings.Join(tc.want, "\n;\n"))
			}
		})
	}
	if _, err := queries.ClusterDDL("CREATE DATABASE x", "bad name"); err == nil {
		t.Error("a cluster name with a space must be refused")
	}
	if got, _ := queries.ClusterDDL("CREATE DATABASE x", "prod-eu"); got[0] != "CREATE DATABASE x ON CLUSTER `prod-eu`" {
		t.Errorf("cluster names with '-' are quoted: %q", got)
	}
}

// TestClusterDDLOfEveryMigration rewrites every embedded migration and has
// both ClickHouse versions read the result: 26.7 (embedded) parses it with
// EXPLAIN AST; 18.16 (the server) parses it and only then fails, for want
// of the cluster (a syntax error would fail first, with code 62).
func TestClusterDDLOfEveryMigration(t *testing.T) {
	ms, err := queries.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			for _, m := range append([]queries.Migration{{Name: "create_database.sql"}}, ms...) {
				q, err := e.Store.SQL(m.Name, nil)
				if err != nil {
					t.Fatal(err)
				}
				stmts, err := queries.ClusterDDL(q, "throughline_cluster")
				if err != nil {
					t.Fatalf("%s: %v", m.Name, err)
				}
				for _, s := range stmts {
					if e.Name == "embedded" {
						if _, err := e.Store.Engine().Query(ctx, "EXPLAIN AST "+s); err != nil {
							t.Errorf("%s: 26.7 cannot parse\n%s\n%v", m.Name, s, err)
						}
						continue
					}
					err := e.Store.Engine().Exec(ctx, s)
					if err == nil {
						t.Errorf("%s: ran without a cluster:\n%s", m.Name, s)
					} else if m := codeRE.FindStringSubmatch(err.Error()); m == nil || m[1] != "170" {
						// 170: unknown cluster, reported after parsing.
						t.Errorf("18.16 did not get as far as the cluster:\n%s\n%v", s, err)
					}
				}
			}
		})
	}
	if err := chtest.Engines(t)[1].Store.MigrateCluster(ctx, "c"); err == nil || !strings.Contains(err.Error(), "needs a ClickHouse server") {
		t.Errorf("embedded MigrateCluster: %v", err)
	}
}

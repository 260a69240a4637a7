package queries

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The cluster variant of the schema (`throughline migrate --cluster NAME`).
//
// Every table of a migration becomes two:
//
//   - <table>_local: the data, on every node, created ON CLUSTER with the
//     Replicated form of the migration's engine (ReplacingMergeTree(ver) →
//     ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/<db>/<table>_local',
//     '{replica}', ver)); {shard} and {replica} are the server's macros
//     (deploy/clickhouse sets them);
//   - <table>: a Distributed table over <table>_local, with the name every
//     query already uses, so reads and writes need no change. Rows are
//     sharded by cityHash64 of the table's ORDER BY key, so all versions of
//     an event land on one shard and ReplacingMergeTree (read with FINAL)
//     still deduplicates them.
//
// CREATE DATABASE, DROP TABLE and plain views get ON CLUSTER; column changes
// (ALTER ... ADD/DROP/MODIFY/RENAME/COMMENT COLUMN) go to both tables;
// other ALTERs (mutations, partitions) to the local one; INSERT and SELECT
// statements run once, through the Distributed table. chDB cannot run any
// of it: clustering is a server deployment decoration (CLICKHOUSE.md).

var (
	clusterNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,62}$`)
	createDBRE     = regexp.MustCompile(`(?is)^CREATE\s+DATABASE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	createTableRE  = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	engineRE       = regexp.MustCompile(`(?is)\)\s*ENGINE\s*=\s*([A-Za-z]+)`)
	orderByRE      = regexp.MustCompile(`(?is)\bORDER\s+BY\s+(.+?)\s*(\bSETTINGS\b.*)?$`)
	alterRE        = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s+(.+)$`)
	columnChangeRE = regexp.MustCompile(`(?is)^(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b`)
	dropTableRE    = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	createViewRE   = regexp.MustCompile(`(?is)^CREATE\s+(OR\s+REPLACE\s+)?VIEW\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s+(AS\s+.+)$`)
	passThroughRE  = regexp.MustCompile(`(?is)^(INSERT|SELECT)\b`)
)

// mergeTreeEngines are the engines that have a Replicated form.
var mergeTreeEngines = map[string]bool{
	"MergeTree": true, "ReplacingMergeTree": true, "SummingMergeTree": true,
	"AggregatingMergeTree": true, "CollapsingMergeTree": true, "VersionedCollapsingMergeTree": true,
}

// LocalTableSuffix names the replicated table under a Distributed one.
const LocalTableSuffix = "_local"

// ClusterDDL rewrites one rendered schema statement for the cluster
// cluster, as the statements to run in order (see the naming above).
func ClusterDDL(stmt, cluster string) ([]string, error) {
	if !clusterNameRE.MatchString(cluster) {
		return nil, fmt.Errorf("cluster name %q must match %s", cluster, clusterNameRE)
	}
	s := strings.TrimSpace(stripSQLComments(stmt))
	on := " ON CLUSTER " + quoteIdent(cluster)
	if m := createDBRE.FindStringSubmatch(s); m != nil {
		return []string{"CREATE DATABASE " + m[1] + m[2] + on}, nil
	}
	if m := createTableRE.FindStringSubmatchIndex(s); m != nil {
		return clusterTable(s, m, cluster)
	}
	if m := alterRE.FindStringSubmatch(s); m != nil {
		db, table, rest := m[1], m[2], m[3]
		local := "ALTER TABLE " + db + "." + table + LocalTableSuffix + on + " " + rest
		if columnChangeRE.MatchString(rest) {
			return []string{local, "ALTER TABLE " + db + "." + table + on + " " + rest}, nil
		}
		return []string{local}, nil
	}
	if m := dropTableRE.FindStringSubmatch(s); m != nil {
		return []string{
			"DROP TABLE " + m[1] + m[2] + "." + m[3] + on,
			"DROP TABLE " + m[1] + m[2] + "." + m[3] + LocalTableSuffix + on,
		}, nil
	}
	if m := createViewRE.FindStringSubmatch(s); m != nil {
		return []string{"CREATE " + m[1] + "VIEW " + m[2] + m[3] + on + " " + m[4]}, nil
	}
	if passThroughRE.MatchString(s) {
		return []string{s}, nil
	}
	first, _, _ := strings.Cut(s, "\n")
	return nil, fmt.Errorf("cluster ddl: no cluster form for %q (CREATE DATABASE/TABLE/VIEW, ALTER TABLE, DROP TABLE, INSERT and SELECT have one)", first)
}

// clusterTable rewrites CREATE TABLE db.t (cols) ENGINE = X(args) rest.
func clusterTable(s string, m []int, cluster string) ([]string, error) {
	ifNot, db, table := "", s[m[4]:m[5]], s[m[6]:m[7]]
	if m[2] >= 0 {
		ifNot = s[m[2]:m[3]]
	}
	open := m[1] - 1 // the column list's "("
	closeCols, err := matching(s, open)
	if err != nil {
		return nil, fmt.Errorf("cluster ddl %s.%s: %w", db, table, err)
	}
	cols := s[open : closeCols+1]
	em := engineRE.FindStringSubmatchIndex(s[closeCols:])
	if em == nil {
		return nil, fmt.Errorf("cluster ddl %s.%s: no ENGINE after the columns", db, table)
	}
	engine := s[closeCols+em[2] : closeCols+em[3]]
	if !mergeTreeEngines[engine] {
		return nil, fmt.Errorf("cluster ddl %s.%s: engine %s has no Replicated form (use a MergeTree engine)", db, table, engine)
	}
	after := s[closeCols+em[3]:]
	var args string
	if t := strings.TrimLeft(after, " \t\n"); strings.HasPrefix(t, "(") {
		start := len(after) - len(t)
		end, err := matching(after, start)
		if err != nil {
			return nil, fmt.Errorf("cluster ddl %s.%s: engine arguments: %w", db, table, err)
		}
		args = strings.TrimSpace(after[start+1 : end])
		after = after[end+1:]
	}
	rest := strings.TrimSpace(after)
	ob := orderByRE.FindStringSubmatch(rest)
	if ob == nil {
		return nil, fmt.Errorf("cluster ddl %s.%s: no ORDER BY (every table needs one)", db, table)
	}
	shardKey := "rand()"
	if key := strings.TrimSpace(ob[1]); key != "tuple()" {
		if strings.HasPrefix(key, "(") && strings.HasSuffix(key, ")") {
			if end, err := matching(key, 0); err == nil && end == len(key)-1 {
				key = key[1 : len(key)-1]
			}
		}
		shardKey = "cityHash64(" + key + ")"
	}
	local := table + LocalTableSuffix
	rargs := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", db, local)
	if args != "" {
		rargs += ", " + args
	}
	on := " ON CLUSTER " + quoteIdent(cluster)
	return []string{
		fmt.Sprintf("CREATE TABLE %s%s.%s%s %s ENGINE = Replicated%s(%s)\n%s", ifNot, db, local, on, cols, engine, rargs, rest),
		fmt.Sprintf("CREATE TABLE %s%s.%s%s AS %s.%s ENGINE = Distributed(%s, %s, %s, %s)",
			ifNot, db, table, on, db, local, quote(cluster), quote(db), quote(local), shardKey),
	}, nil
}

// matching returns the index of the parenthesis closing the one at open,
// skipping quoted strings.
func matching(s string, open int) (int, error) {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\'':
			for i++; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, errors.New("unbalanced parentheses")
}

// quoteIdent quotes a cluster name when it is not a plain identifier
// (cluster names may contain '-').
func quoteIdent(s string) string {
	if identRE.MatchString(s) {
		return s
	}
	return "`" + s + "`"
}

// MigrateCluster is Migrate for a ClickHouse cluster: the database and
// every migration not yet applied are created ON CLUSTER in their cluster
// form (ClusterDDL), so every node has the replicated tables and the
// Distributed tables over them. Run it once per upgrade, from one node
// (`throughline migrate --cluster NAME`); it is idempotent like Migrate.
// The embedded engine cannot run it.
func (s *Store) MigrateCluster(ctx context.Context, cluster string) error {
	if s.eng.Kind() != "server" {
		return fmt.Errorf("migrate --cluster %s: needs a ClickHouse server (--clickhouse), not the %s engine", cluster, s.eng.Kind())
	}
	run := func(name string, p Params) error {
		q, err := s.SQL(name, p)
		if err != nil {
			return err
		}
		stmts, err := ClusterDDL(q, cluster)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, st := range stmts {
			if err := s.eng.Exec(ctx, st); err != nil {
				return fmt.Errorf("%s on cluster %s: %w", name, cluster, err)
			}
		}
		return nil
	}
	if err := run("create_database.sql", nil); err != nil {
		return err
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	if err := run(ms[0].Name, nil); err != nil {
		return err
	}
	res, err := s.Query(ctx, "applied_migrations.sql", nil)
	if err != nil {
		return err
	}
	done := map[int]bool{}
	for i := 0; i < res.Len(); i++ {
		done[int(res.Int(i, "version"))] = true
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := run(m.Name, nil); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		// An INSERT: it runs once, through the Distributed table.
		if err := s.Exec(ctx, "record_migration.sql", Params{"version": m.Version, "name": m.Name, "applied": time.Now()}); err != nil {
			return err
		}
	}
	return nil
}

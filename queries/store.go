package queries

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Options configure a Store.
type Options struct {
	Engine   Engine
	Database string // default "throughline"
}

// Store is the query layer: named, embedded statements bound and run on
// one Engine. It is safe for concurrent use.
type Store struct {
	eng Engine
	db  string
	tpl *template.Template
}

// NewStore checks the options and parses the embedded SQL.
func NewStore(o Options) (*Store, error) {
	if o.Engine == nil {
		return nil, errors.New("queries: Options.Engine is required")
	}
	if o.Database == "" {
		o.Database = "throughline"
	}
	if !identRE.MatchString(o.Database) {
		return nil, fmt.Errorf("queries: database name %q must match %s", o.Database, identRE)
	}
	tpl, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	return &Store{eng: o.Engine, db: o.Database, tpl: tpl}, nil
}

// Engine returns the engine under the store.
func (s *Store) Engine() Engine { return s.eng }

// Database returns the database name.
func (s *Store) Database() string { return s.db }

// SQL renders a named statement with its parameters bound: for tests,
// dashboards and `EXPLAIN`.
func (s *Store) SQL(name string, p Params) (string, error) { return bind(s.tpl, name, s.db, p) }

// Statements lists the names of every embedded statement, fragments aside.
func (s *Store) Statements() []string {
	var out []string
	for _, t := range s.tpl.Templates() {
		if n := t.Name(); strings.HasSuffix(n, ".sql") && !strings.HasPrefix(n, "fragments/") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Query runs a named SELECT.
func (s *Store) Query(ctx context.Context, name string, p Params) (*Result, error) {
	q, err := s.SQL(name, p)
	if err != nil {
		return nil, err
	}
	res, err := s.eng.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", name, err)
	}
	return res, nil
}

// Exec runs a named statement that returns no rows.
func (s *Store) Exec(ctx context.Context, name string, p Params) error {
	q, err := s.SQL(name, p)
	if err != nil {
		return err
	}
	if err := s.eng.Exec(ctx, q); err != nil {
		return fmt.Errorf("exec %s: %w", name, err)
	}
	return nil
}

// Insert appends rows to one of the store's tables.
func (s *Store) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	return s.eng.Insert(ctx, s.db+"."+table, columns, rows)
}

// Migration is one numbered schema file.
type Migration struct {
	Version int
	Name    string // file name, e.g. migrations/0001_events.sql
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(sqlFS, "sql/migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", n)
		}
		out = append(out, Migration{Version: v, Name: path.Join("migrations", n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate creates the database and applies every migration not yet applied,
// in order. It is idempotent: run it at every start.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.Exec(ctx, "create_database.sql", nil); err != nil {
		return err
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	// 0000 creates the record table itself.
	if err := s.Exec(ctx, ms[0].Name, nil); err != nil {
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
		if err := s.Exec(ctx, m.Name, nil); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if err := s.Exec(ctx, "record_migration.sql", Params{"version": m.Version, "name": m.Name, "applied": time.Now()}); err != nil {
			return err
		}
	}
	return nil
}

// Pending reports how many migrations are not applied: the readiness probe
// uses it.
func (s *Store) Pending(ctx context.Context) (int, error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	res, err := s.Query(ctx, "applied_migrations.sql", nil)
	if err != nil {
		return len(ms), err
	}
	done := map[int]bool{}
	for i := 0; i < res.Len(); i++ {
		done[int(res.Int(i, "version"))] = true
	}
	n := 0
	for _, m := range ms {
		if !done[m.Version] {
			n++
		}
	}
	return n, nil
}

package queries

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Server is an Engine on a ClickHouse server or cluster, through
// clickhouse-go/v2 over the native protocol.
type Server struct {
	conn driver.Conn
}

// ParseDSN splits a clickhouse:// DSN into clickhouse-go options and the
// database Throughline uses (the DSN's path, default "throughline"). The
// connection itself uses the "default" database, because the Throughline
// database may not exist yet; every statement names its database.
func ParseDSN(dsn string) (*clickhouse.Options, string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// url's errors quote the part they choke on, which may be the
		// password: say what is wrong without it.
		return nil, "", errors.New("clickhouse DSN: not a valid URL (want clickhouse://user:pass@host:9000/db; " +
			"percent-encode / ? # @ : in the user or password as %2F %3F %23 %40 %3A)")
	}
	if u.Scheme != "clickhouse" && u.Scheme != "tcp" {
		return nil, "", fmt.Errorf("clickhouse DSN: scheme must be clickhouse:// (native protocol), not %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, "", errors.New("clickhouse DSN: no host (want clickhouse://user:pass@host:9000/db)")
	}
	db := strings.Trim(u.Path, "/")
	if db == "" {
		db = "throughline"
	}
	if !identRE.MatchString(db) {
		return nil, "", fmt.Errorf("clickhouse DSN: database name %q must match %s", db, identRE)
	}
	u.Path = "/default"
	opts, err := clickhouse.ParseDSN(u.String())
	if err != nil {
		msg := err.Error()
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "****")
			msg = strings.ReplaceAll(msg, url.QueryEscape(pw), "****")
		}
		return nil, "", errors.New("clickhouse DSN: " + msg)
	}
	return opts, db, nil
}

// OpenServer connects to a ClickHouse server. It does not fail when the
// server is down: the ingest spool and readiness probe deal with that.
func OpenServer(opts *clickhouse.Options) (*Server, error) {
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = 8
	}
	if opts.Settings == nil {
		opts.Settings = clickhouse.Settings{}
	}
	if _, set := opts.Settings["max_query_size"]; !set {
		// The catalog is bound into measure statements as literal arrays:
		// thousands of services exceed the default 256 KiB.
		opts.Settings["max_query_size"] = maxQuerySize
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	return &Server{conn: conn}, nil
}

// Kind implements Engine.
func (s *Server) Kind() string { return "server" }

// Exec implements Engine.
func (s *Server) Exec(ctx context.Context, sql string) error {
	return wrapUnavailable(s.conn.Exec(ctx, sql))
}

// Ping implements Engine.
func (s *Server) Ping(ctx context.Context) error { return wrapUnavailable(s.conn.Ping(ctx)) }

// Close implements Engine.
func (s *Server) Close() error { return s.conn.Close() }

// Query implements Engine.
func (s *Server) Query(ctx context.Context, sql string) (*Result, error) {
	rows, err := s.conn.Query(ctx, sql)
	if err != nil {
		return nil, wrapUnavailable(err)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	res := newResult(rows.Columns())
	for rows.Next() {
		dest := make([]any, len(types))
		for i, t := range types {
			dest[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = deref(reflect.ValueOf(d).Elem())
		}
		res.Rows = append(res.Rows, row)
	}
	return res, wrapUnavailable(rows.Err())
}

// deref turns scanned values into the plain types Result understands:
// nullable pointers become nil or their value; arrays become []any.
func deref(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8 {
		out := make([]any, v.Len())
		for i := range out {
			out[i] = deref(v.Index(i))
		}
		return out
	}
	return v.Interface()
}

// Insert implements Engine with one native batch, appended column by
// column (far cheaper than row by row through reflection).
func (s *Server) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+")")
	if err != nil {
		return wrapUnavailable(err)
	}
	for i := range columns {
		col, err := columnOf(rows, i)
		if err != nil {
			_ = batch.Abort()
			return fmt.Errorf("insert into %s: column %s: %w", table, columns[i], err)
		}
		if err := batch.Column(i).Append(col); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("insert into %s: column %s: %w", table, columns[i], err)
		}
	}
	return wrapUnavailable(batch.Send())
}

// columnOf gathers column i of rows into a typed slice.
func columnOf(rows [][]any, i int) (any, error) {
	switch rows[0][i].(type) {
	case string:
		out := make([]string, len(rows))
		for r := range rows {
			out[r], _ = rows[r][i].(string)
		}
		return out, nil
	case time.Time:
		out := make([]time.Time, len(rows))
		for r := range rows {
			t, _ := rows[r][i].(time.Time)
			out[r] = t.UTC()
		}
		return out, nil
	case uint8:
		out := make([]uint8, len(rows))
		for r := range rows {
			out[r], _ = rows[r][i].(uint8)
		}
		return out, nil
	case uint64:
		out := make([]uint64, len(rows))
		for r := range rows {
			out[r], _ = rows[r][i].(uint64)
		}
		return out, nil
	case uint32:
		out := make([]uint32, len(rows))
		for r := range rows {
			out[r], _ = rows[r][i].(uint32)
		}
		return out, nil
	case []string:
		out := make([][]string, len(rows))
		for r := range rows {
			out[r], _ = rows[r][i].([]string)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", rows[0][i])
}

// maxQuerySize is the statement size both engines accept (64 MiB).
const maxQuerySize = 64 << 20

// ErrUnavailable marks errors that mean ClickHouse could not be reached;
// the ingest path spools on them instead of failing.
var ErrUnavailable = errors.New("clickhouse unavailable")

func wrapUnavailable(err error) error {
	if err != nil && isUnavailable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

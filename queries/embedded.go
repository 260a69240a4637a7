package queries

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Embedded is an Engine on chDB, ClickHouse as a library in this process.
// chDB allows one session per process, used by one goroutine at a time: a
// mutex serialises every call.
type Embedded struct {
	mu   sync.Mutex
	sess *chdbSession
	path string
}

var (
	embeddedMu   sync.Mutex
	embeddedOpen *Embedded
)

// OpenEmbedded opens (or returns the already open) embedded engine with its
// data under path. chDB keeps one session per process, so a second call with
// another path is an error.
func OpenEmbedded(path string) (*Embedded, error) {
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	if embeddedOpen != nil {
		if embeddedOpen.path != path {
			return nil, fmt.Errorf("embedded ClickHouse is already open at %s (one data directory per process)", embeddedOpen.path)
		}
		return embeddedOpen, nil
	}
	s, err := openChdb(path)
	if err != nil {
		return nil, err
	}
	// As for the server: large catalogs make large statements.
	if _, err := s.query(fmt.Sprintf("SET max_query_size = %d", maxQuerySize), "TabSeparated"); err != nil {
		s.close()
		return nil, fmt.Errorf("embedded ClickHouse settings: %w", err)
	}
	embeddedOpen = &Embedded{sess: s, path: path}
	return embeddedOpen, nil
}

// Kind implements Engine.
func (e *Embedded) Kind() string { return "embedded" }

func (e *Embedded) run(ctx context.Context, sql, format string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sess == nil {
		return nil, fmt.Errorf("%w: embedded engine closed", ErrUnavailable)
	}
	return e.sess.query(sql, format)
}

// Exec implements Engine.
func (e *Embedded) Exec(ctx context.Context, sql string) error {
	_, err := e.run(ctx, sql, "TabSeparated")
	return err
}

// Ping implements Engine.
func (e *Embedded) Ping(ctx context.Context) error {
	_, err := e.run(ctx, "SELECT 1", "TabSeparated")
	return err
}

// Close implements Engine. The library cannot be reopened at another path
// in the same process; Close ends the session for good.
func (e *Embedded) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sess != nil {
		e.sess.close()
		e.sess = nil
	}
	embeddedMu.Lock()
	if embeddedOpen == e {
		embeddedOpen = nil
	}
	embeddedMu.Unlock()
	return nil
}

// Query implements Engine, reading JSONCompact output.
func (e *Embedded) Query(ctx context.Context, sql string) (*Result, error) {
	out, err := e.run(ctx, sql, "JSONCompact")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Meta []struct {
			Name string `json:"name"`
		} `json:"meta"`
		Data [][]any `json:"data"`
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return newResult(nil), nil
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	cols := make([]string, len(doc.Meta))
	for i, m := range doc.Meta {
		cols[i] = m.Name
	}
	res := newResult(cols)
	res.Rows = doc.Data
	return res, nil
}

// Insert implements Engine with INSERT ... FORMAT JSONCompactEachRow, every
// column sent in order (the embedded engine is always 26.7).
func (e *Embedded) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") FORMAT JSONCompactEachRow\n")
	scratch := make([]byte, 0, 64)
	for _, r := range rows {
		b.WriteByte('[')
		for i, v := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			var err error
			scratch, err = appendJSON(scratch[:0], v)
			if err != nil {
				return fmt.Errorf("encode row for %s: %w", table, err)
			}
			b.Write(scratch)
		}
		b.WriteString("]\n")
	}
	return e.Exec(ctx, b.String())
}

// appendJSON encodes the value types Insert accepts, without reflection.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendJSONString(dst, x), nil
	case time.Time:
		return strconv.AppendInt(dst, x.UTC().Unix(), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case []string:
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, s)
		}
		return append(dst, ']'), nil
	}
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s) // rare: escapes and non-ASCII
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

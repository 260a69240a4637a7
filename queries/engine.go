package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Engine runs SQL on one ClickHouse: a server (Server) or embedded chDB
// (Embedded). Every method may be called from several goroutines.
//
// SQL given to an Engine is one statement, already bound (see Bind).
type Engine interface {
	// Kind is "server" or "embedded".
	Kind() string
	// Exec runs a statement that returns no rows (DDL, INSERT ... SELECT).
	Exec(ctx context.Context, sql string) error
	// Query runs a SELECT and returns every row.
	Query(ctx context.Context, sql string) (*Result, error)
	// Insert appends rows to db.table; columns are named, as 18.16 needs.
	// Values are Go values: string, uint8, uint64, int64, float64,
	// time.Time (stored as UTC seconds) and []string.
	Insert(ctx context.Context, table string, columns []string, rows [][]any) error
	// Ping checks that the engine answers.
	Ping(ctx context.Context) error
	Close() error
}

// Result is the rows of a query, decoded the same way from both engines.
type Result struct {
	Columns []string
	Rows    [][]any
	index   map[string]int
}

func newResult(cols []string) *Result {
	r := &Result{Columns: cols, index: make(map[string]int, len(cols))}
	for i, c := range cols {
		r.index[c] = i
	}
	return r
}

func (r *Result) value(row int, col string) any {
	i, ok := r.index[col]
	if !ok {
		panic(fmt.Sprintf("queries: result has no column %q (have %v)", col, r.Columns))
	}
	return r.Rows[row][i]
}

// Len is the number of rows.
func (r *Result) Len() int { return len(r.Rows) }

// Has says whether the result has the named column.
func (r *Result) Has(col string) bool { _, ok := r.index[col]; return ok }

// String returns a column's value as text.
func (r *Result) String(row int, col string) string { return toString(r.value(row, col)) }

// Float returns a numeric column as float64 (0 for NULL).
func (r *Result) Float(row int, col string) float64 { return toFloat(r.value(row, col)) }

// Int returns a numeric column as int64.
func (r *Result) Int(row int, col string) int64 {
	switch v := r.value(row, col).(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return int64(math.Round(toFloat(r.value(row, col))))
}

// Time returns a DateTime column in UTC.
func (r *Result) Time(row int, col string) time.Time {
	switch v := r.value(row, col).(type) {
	case time.Time:
		return v.UTC()
	case string:
		t, err := time.ParseInLocation("2006-01-02 15:04:05", v, time.UTC)
		if err == nil {
			return t
		}
	}
	return time.Time{}
}

// Strings returns an Array(String) column.
func (r *Result) Strings(row int, col string) []string {
	switch v := r.value(row, col).(type) {
	case []string:
		return v
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = toString(x)
		}
		return out
	}
	return nil
}

// Floats returns a numeric array column.
func (r *Result) Floats(row int, col string) []float64 {
	switch v := r.value(row, col).(type) {
	case []any:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = toFloat(x)
		}
		return out
	case []float64:
		return v
	case []int64:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	case []uint64:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case *string:
		if x == nil {
			return ""
		}
		return *x
	case json.Number:
		return x.String()
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	default:
		return fmt.Sprint(x)
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case nil:
		return 0
	case float64:
		return x
	case float32:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int16:
		return float64(x)
	case int8:
		return float64(x)
	case int:
		return float64(x)
	case uint64:
		return float64(x)
	case uint32:
		return float64(x)
	case uint16:
		return float64(x)
	case uint8:
		return float64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	case json.Number:
		f, _ := x.Float64()
		return f
	case string:
		// 18.16 quotes 64-bit integers in JSON output; 26.7 does not.
		f, _ := strconv.ParseFloat(x, 64)
		return f
	case *float64:
		if x == nil {
			return 0
		}
		return *x
	case time.Time:
		return float64(x.Unix())
	}
	return 0
}

var codeRE = regexp.MustCompile(`(?i)code: (\d+)`)

// ErrorCode extracts the ClickHouse error code from an error message, or 0.
// The same failure carries different codes on the two engines, so callers
// classify by sets of codes.
func ErrorCode(err error) int {
	if err == nil {
		return 0
	}
	m := codeRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// isUnavailable reports whether err means the server cannot be reached, as
// opposed to a bad statement.
func isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if ErrorCode(err) != 0 {
		return false
	}
	s := strings.ToLower(err.Error())
	for _, w := range []string{"connection refused", "connect", "eof", "broken pipe", "reset by peer", "timeout", "no route", "closed", "acquire conn", "no such host", "unreachable", "refused"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

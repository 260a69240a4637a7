package queries

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
)

//go:embed sql
var sqlFS embed.FS

// identRE is what a database name may look like: it is the one identifier
// that is not a literal, so it is checked rather than escaped.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// placeholderRE finds {name:Type} placeholders, ClickHouse's own query
// parameter syntax. 18.16 has no query parameters, so Bind replaces them
// with escaped literals on both engines.
var placeholderRE = regexp.MustCompile(`\{([a-z_][a-z0-9_]*):([A-Za-z0-9()]+)\}`)

// Params are the values bound into a statement's placeholders.
type Params map[string]any

// templates parses every .sql file under sql/ as a text/template, so
// statements can share fragments ({{template "dims"}}) without Go string
// building at call sites. Fragments live in sql/fragments.
func parseTemplates() (*template.Template, error) {
	root := template.New("").Funcs(template.FuncMap{"pct": pctExpr})
	err := fs.WalkDir(sqlFS, "sql", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".sql") {
			return err
		}
		b, err := sqlFS.ReadFile(path)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path, "sql/")
		_, err = root.New(name).Parse(string(b))
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		return nil
	})
	return root, err
}

// pctExpr is the interpolated percentile of MEASURES.md over a sorted
// numeric array column: position (n-1)q, linear between neighbours (numpy's
// default). It returns 0 for an empty array; callers report null from the
// sample count.
func pctExpr(arr string, q float64) string {
	p := fmt.Sprintf("((length(%[1]s) - 1) * %[2]s)", arr, strconv.FormatFloat(q, 'f', -1, 64))
	lo := fmt.Sprintf("(toUInt64(floor(%s)) + 1)", p)
	hi := fmt.Sprintf("(toUInt64(ceil(%s)) + 1)", p)
	return fmt.Sprintf("if(length(%[1]s) = 0, 0, toFloat64(%[1]s[%[2]s]) + (%[4]s - floor(%[4]s)) * (toFloat64(%[1]s[%[3]s]) - toFloat64(%[1]s[%[2]s])))",
		arr, lo, hi, p)
}

// Bind renders a statement: the template with data (the database name as
// .DB), then every {name:Type} placeholder replaced by an escaped literal.
// A missing parameter or a value of the wrong Go type is an error.
func bind(t *template.Template, name, db string, p Params) (string, error) {
	if !identRE.MatchString(db) {
		return "", fmt.Errorf("bad database name %q", db)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, map[string]string{"DB": db}); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	var bindErr error
	out := placeholderRE.ReplaceAllStringFunc(buf.String(), func(m string) string {
		sub := placeholderRE.FindStringSubmatch(m)
		v, ok := p[sub[1]]
		if !ok {
			bindErr = fmt.Errorf("%s: no value for parameter %s", name, sub[1])
			return m
		}
		lit, err := Literal(sub[2], v)
		if err != nil {
			bindErr = fmt.Errorf("%s: parameter %s: %w", name, sub[1], err)
			return m
		}
		return lit
	})
	if bindErr != nil {
		return "", bindErr
	}
	return out, nil
}

// Literal renders v as a ClickHouse literal of type typ. It is the only
// place values enter SQL text.
func Literal(typ string, v any) (string, error) {
	switch typ {
	case "String":
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("want string, got %T", v)
		}
		return quote(s), nil
	case "DateTime":
		t, ok := v.(time.Time)
		if !ok {
			return "", fmt.Errorf("want time.Time, got %T", v)
		}
		return "toDateTime(" + quote(t.UTC().Format("2006-01-02 15:04:05")) + ", 'UTC')", nil
	case "UInt64", "Int64", "UInt32":
		switch n := v.(type) {
		case int:
			return strconv.Itoa(n), nil
		case int64:
			return strconv.FormatInt(n, 10), nil
		case uint64:
			return strconv.FormatUint(n, 10), nil
		}
		return "", fmt.Errorf("want integer, got %T", v)
	case "Float64":
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("want finite float64, got %v", v)
		}
		return "toFloat64(" + strconv.FormatFloat(f, 'g', -1, 64) + ")", nil
	case "Array(String)":
		ss, ok := v.([]string)
		if !ok {
			return "", fmt.Errorf("want []string, got %T", v)
		}
		if len(ss) == 0 {
			return "emptyArrayString()", nil
		}
		parts := make([]string, len(ss))
		for i, s := range ss {
			parts[i] = quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("unsupported placeholder type %s", typ)
}

// quote escapes a string literal for both engines: backslash and quote
// escaped, control bytes as \xHH.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\'':
			b.WriteString(`\'`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02X`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

package dashboards

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// grafana expands a panel's query as Grafana and its data sources do
// before the query reaches Prometheus or ClickHouse, for a chosen time
// range and variable values (a variable's "All" is its list of values, as
// Grafana sends it when no custom all value is set).
type grafana struct {
	from, to     time.Time
	vars         map[string][]string
	rateInterval string // Prometheus' $__rate_interval
}

var (
	// $name, ${name}, ${name:format}, [[name]] (Grafana's variable syntax).
	varRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::([A-Za-z]+))?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]`)
	// The ClickHouse plugin's macros: $__name or $__name(args).
	chMacroRE = regexp.MustCompile(`\$__([A-Za-z_]+)(\(([^()]*)\))?`)
)

// builtin returns Grafana's global variables.
func (g grafana) builtin(name string) (string, bool) {
	secs := int64(g.to.Sub(g.from) / time.Second)
	switch name {
	case "__range":
		return strconv.FormatInt(secs, 10) + "s", true
	case "__range_s":
		return strconv.FormatInt(secs, 10), true
	case "__rate_interval":
		return g.rateInterval, true
	case "__interval":
		return "15s", true
	}
	return "", false
}

// expand replaces dashboard variables; format renders a variable's values
// for the data source (Grafana's per-data-source interpolation) unless the
// reference names a format.
func (g grafana) expand(s string, format func(vals []string, multi bool) string, keep func(name string) bool) (string, error) {
	var err error
	out := varRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := varRE.FindStringSubmatch(m)
		name, fmtName := sub[1]+sub[3]+sub[4], sub[2]
		if keep != nil && keep(name) {
			return m
		}
		if v, ok := g.builtin(name); ok {
			return v
		}
		vals, ok := g.vars[name]
		if !ok {
			err = fmt.Errorf("no value for variable %s in %q", name, s)
			return m
		}
		switch fmtName {
		case "":
			return format(vals, true)
		case "sqlstring":
			q := make([]string, len(vals))
			for i, v := range vals {
				q[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			}
			return strings.Join(q, ",")
		case "singlequote":
			q := make([]string, len(vals))
			for i, v := range vals {
				q[i] = "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
			}
			return strings.Join(q, ",")
		case "csv":
			return strings.Join(vals, ",")
		case "raw":
			return strings.Join(vals, ",")
		case "regex":
			return promRegex(vals, true)
		}
		err = fmt.Errorf("variable format %s is not expanded by the test", fmtName)
		return m
	})
	return out, err
}

// promRegex is the Prometheus data source's rendering of a multi-value or
// include-all variable: regex-escaped values joined by | in parentheses.
func promRegex(vals []string, multi bool) string {
	esc := make([]string, len(vals))
	for i, v := range vals {
		esc[i] = strings.ReplaceAll(regexp.QuoteMeta(v), `\`, `\\`)
	}
	if !multi || len(esc) == 1 {
		return esc[0]
	}
	return "(" + strings.Join(esc, "|") + ")"
}

// prometheus expands a PromQL expression.
func (g grafana) prometheus(expr string) (string, error) {
	return g.expand(expr, promRegex, nil)
}

// clickhouse expands a ClickHouse panel's SQL as the plugin does: Grafana's
// variables in the browser, then the plugin's macros in its backend
// (grafana/clickhouse-datasource pkg/macros: times as toDateTime(unix
// seconds), filters inclusive at both ends).
func (g grafana) clickhouse(sql string) (string, error) {
	s, err := g.expand(sql, func(vals []string, _ bool) string { return strings.Join(vals, ",") },
		func(name string) bool { return strings.HasPrefix(name, "__") && !isBuiltin(name) })
	if err != nil {
		return "", err
	}
	dt := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	dt64 := func(t time.Time) string { return fmt.Sprintf("fromUnixTimestamp64Milli(%d)", t.UnixMilli()) }
	out := chMacroRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := chMacroRE.FindStringSubmatch(m)
		name, args := sub[1], strings.Split(sub[3], ",")
		for i := range args {
			args[i] = strings.TrimSpace(args[i])
		}
		one := func() string {
			if sub[2] == "" || len(args) != 1 || args[0] == "" {
				err = fmt.Errorf("macro $__%s needs one argument", name)
			}
			return args[0]
		}
		switch name {
		case "fromTime":
			return dt(g.from)
		case "toTime":
			return dt(g.to)
		case "fromTime_ms":
			return dt64(g.from)
		case "toTime_ms":
			return dt64(g.to)
		case "timeFilter":
			c := one()
			return fmt.Sprintf("%s >= %s AND %s <= %s", c, dt(g.from), c, dt(g.to))
		case "timeFilter_ms":
			c := one()
			return fmt.Sprintf("%s >= %s AND %s <= %s", c, dt64(g.from), c, dt64(g.to))
		case "dateFilter":
			c := one()
			d := func(t time.Time) string { return "toDate('" + t.UTC().Format("2006-01-02") + "')" }
			return fmt.Sprintf("%s >= %s AND %s <= %s", c, d(g.from), c, d(g.to))
		}
		err = fmt.Errorf("macro $__%s is not one the test expands: add it, as the plugin does it", name)
		return m
	})
	return out, err
}

func isBuiltin(name string) bool {
	_, ok := grafana{}.builtin(name)
	return ok
}

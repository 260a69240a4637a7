package queries

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// grafanaVarRE is a Grafana variable reference, e.g. ${database}: the one
// other thing a dashboard statement may take as its database name.
var grafanaVarRE = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`)

// grafanaBinding is what a {name:Type} placeholder of the shared
// fragments becomes in a panel: the dashboard's own way of giving that
// value, for Grafana and the ClickHouse plugin to fill in. The measure
// statements bind the same placeholders through the Store, so a
// drill-down and its measure run the same SQL on different values.
type grafanaBinding struct {
	typ, expr string
}

// grafanaBindings are the only placeholders a dashboard statement may
// use. The plugin's $__fromTime and $__toTime are toDateTime(unix
// seconds) of the time range; its filters ($__timeFilter) are inclusive at
// both ends, the fragments' windows half-open [from, to), so "to" is one
// second past $__toTime (the same on DateTime's whole seconds). envs is
// the environment drop-down, quoted by Grafana's sqlstring format ('a','b';
// All sends every value). Grafana has no catalog: a service is the one
// its events name, so the repo mapping is empty (transform() needs
// constant, non-empty arrays: one entry mapping the empty string to
// itself, which is the default anyway).
func grafanaBindings() map[string]grafanaBinding {
	return map[string]grafanaBinding{
		"from":          {"DateTime", "$__fromTime"},
		"to":            {"DateTime", "($__toTime + INTERVAL 1 SECOND)"},
		"envs":          {"Array(String)", "[${environment:sqlstring}]"},
		"repo_keys":     {"Array(String)", "['']"},
		"repo_services": {"Array(String)", "['']"},
	}
}

// DashboardStatements lists the drill-down statements under
// sql/dashboards, by name (e.g. "deployments"), sorted.
func DashboardStatements() ([]string, error) {
	entries, err := fs.ReadDir(sqlFS, "sql/dashboards")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".sql") {
			out = append(out, strings.TrimSuffix(n, ".sql"))
		}
	}
	sort.Strings(out)
	return out, nil
}

// DashboardSQL renders the drill-down statement sql/dashboards/<name>.sql
// for Grafana's ClickHouse plugin. database is the database name, or a
// Grafana variable reference such as "${database}" that the dashboard
// fills in. The plugin's macros ($__timeFilter, $__fromTime, ...) and
// dashboard variables (${service:sqlstring}, ...) are left for Grafana,
// which supplies the values: the {name:Type} placeholders of the shared
// fragments (sql/fragments) are bound to them by a fixed table (from, to:
// the time range; envs: the environment drop-down; the catalog's repo
// mapping: empty). Any other placeholder, or one of another type, is an
// error.
func DashboardSQL(name, database string) (string, error) {
	if !identRE.MatchString(database) && !grafanaVarRE.MatchString(database) {
		return "", fmt.Errorf("dashboard sql %s: database %q must be an identifier or a Grafana variable like ${database}", name, database)
	}
	tpl, err := parseTemplates()
	if err != nil {
		return "", fmt.Errorf("queries: %w", err)
	}
	file := path.Join("dashboards", name+".sql")
	if tpl.Lookup(file) == nil {
		return "", fmt.Errorf("dashboard sql %s: no statement %s (have %s)", name, file, strings.Join(mustDashboardStatements(), ", "))
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, file, map[string]string{"DB": database}); err != nil {
		return "", fmt.Errorf("render %s: %w", file, err)
	}
	out, err := bindGrafana(strings.TrimSpace(stripSQLComments(buf.String())))
	if err != nil {
		return "", fmt.Errorf("dashboard sql %s: %w", name, err)
	}
	return out, nil
}

// bindGrafana replaces the {name:Type} placeholders of s by their Grafana
// binding. Grafana's own ${name:format} references start with $ and are
// left alone.
func bindGrafana(s string) (string, error) {
	bindings := grafanaBindings()
	var b strings.Builder
	last := 0
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && s[m[0]-1] == '$' {
			continue
		}
		ph, pname, typ := s[m[0]:m[1]], s[m[2]:m[3]], s[m[4]:m[5]]
		g, ok := bindings[pname]
		if !ok {
			return "", fmt.Errorf("placeholder %s cannot be bound in Grafana (it binds %s); use a dashboard variable", ph, strings.Join(grafanaBindingNames(), ", "))
		}
		if typ != g.typ {
			return "", fmt.Errorf("placeholder %s: Grafana binds %s as %s", ph, pname, g.typ)
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(g.expr)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func grafanaBindingNames() []string {
	var out []string
	for n, g := range grafanaBindings() {
		out = append(out, "{"+n+":"+g.typ+"}")
	}
	sort.Strings(out)
	return out
}

func mustDashboardStatements() []string {
	names, _ := DashboardStatements()
	return names
}

// stripSQLComments drops whole-line "--" comments: the header that
// documents a statement is for readers of the file, not for the panel.
func stripSQLComments(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

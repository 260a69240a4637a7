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

// boundPlaceholderRE finds {name:Type} placeholders that are not Grafana's
// ${name:format} variables (those start with $).
var boundPlaceholderRE = regexp.MustCompile(`(^|[^$])\{[a-z_][a-z0-9_]*:[A-Za-z0-9()]+\}`)

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
// fills in. Only the template is rendered: the plugin's macros
// ($__timeFilter, $__fromTime, ...) and dashboard variables
// (${service:sqlstring}, ...) are left for Grafana, which is why these
// statements take no {name:Type} parameters: Grafana, not the Store,
// supplies their values.
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
	out := strings.TrimSpace(stripSQLComments(buf.String()))
	if m := boundPlaceholderRE.FindString(out); m != "" {
		return "", fmt.Errorf("dashboard sql %s: placeholder %s cannot be bound in Grafana; use a dashboard variable", name, strings.TrimSpace(m))
	}
	return out, nil
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

package queries

import (
	"bytes"
	"strings"
	"testing"
)

func TestBindGrafana(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{name: "from", in: "time >= {from:DateTime}", want: "time >= $__fromTime"},
		{name: "to is inclusive like the plugin's filters", in: "time < {to:DateTime}", want: "time < ($__toTime + INTERVAL 1 SECOND)"},
		{name: "envs", in: "has({envs:Array(String)}, environment)", want: "has([${environment:sqlstring}], environment)"},
		{name: "no catalog", in: "transform(repo, {repo_keys:Array(String)}, {repo_services:Array(String)}, '')",
			want: "transform(repo, [''], [''], '')"},
		{name: "grafana variables stay", in: "service IN (${service:sqlstring}) AND d = '${database}'",
			want: "service IN (${service:sqlstring}) AND d = '${database}'"},
		{name: "several", in: "{from:DateTime} {to:DateTime} {from:DateTime}",
			want: "$__fromTime ($__toTime + INTERVAL 1 SECOND) $__fromTime"},
		{name: "unknown placeholder", in: "svc = {f_service:String}", err: "{f_service:String} cannot be bound in Grafana"},
		{name: "catalog arrays of dims", in: "transform(svc, {svc_keys:Array(String)}, x)", err: "{svc_keys:Array(String)} cannot be bound"},
		{name: "wrong type", in: "time >= {from:String}", err: "Grafana binds from as DateTime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bindGrafana(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("bindGrafana(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("bindGrafana(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestDrilldownsRunTheMeasureFragments: the delivery drill-downs hold the
// very fragment their measure statement holds, bound for Grafana, and no
// placeholder is left for Grafana to choke on.
func TestDrilldownsRunTheMeasureFragments(t *testing.T) {
	tpl, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	render := func(name string) string {
		t.Helper()
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, name, map[string]string{"DB": "${database}"}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	for _, tc := range []struct{ dashboard, measure, fragment string }{
		{"changes", "measures/lead_time.sql", "lead_time_pairs"},
		{"failures", "measures/recovery.sql", "failed_deployments_recovery"},
	} {
		t.Run(tc.dashboard, func(t *testing.T) {
			frag := render(tc.fragment)
			if !strings.Contains(render(tc.measure), frag) {
				t.Fatalf("%s does not use the fragment %s", tc.measure, tc.fragment)
			}
			bound, err := bindGrafana(frag)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DashboardSQL(tc.dashboard, "${database}")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, bound) {
				t.Errorf("dashboards/%s.sql does not use the fragment %s:\n%s", tc.dashboard, tc.fragment, got)
			}
			for _, m := range placeholderRE.FindAllStringIndex(got, -1) {
				if m[0] == 0 || got[m[0]-1] != '$' {
					t.Errorf("placeholder %s left in the panel SQL", got[m[0]:m[1]])
				}
			}
			for _, ref := range []string{"$__fromTime", "$__toTime", "[${environment:sqlstring}]", "${service:sqlstring}"} {
				if !strings.Contains(got, ref) {
					t.Errorf("%s: no %s in the panel SQL", tc.dashboard, ref)
				}
			}
		})
	}
}

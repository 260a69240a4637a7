package deploy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the committed dashboards from `throughline dashboards --out`")

// helmVersion is the Helm the tests install when none is on PATH (Debian
// has no package; the Go module proxy has Helm's module).
const helmVersion = "v3.22.0"

// committed are the directories holding copies of the generated dashboards:
// Grafana's file provisioning, and the Helm chart's sidecar ConfigMaps.
var committed = []string{"grafana/dashboards", "helm/throughline/dashboards"}

func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no go command: %v", err)
	}
	return p
}

func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestDashboardsGolden builds the real command and compares what
// `throughline dashboards --out` writes with the committed copies.
func TestDashboardsGolden(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "throughline")
	if out, err := run(t, nil, goTool(t), "build", "-o", bin, "../cmd/throughline"); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	gen := filepath.Join(dir, "out")
	if out, err := run(t, nil, bin, "dashboards", "--out", gen); err != nil {
		t.Fatalf("throughline dashboards: %v\n%s", err, out)
	}
	want := readDir(t, gen)
	if len(want) != 5 {
		t.Fatalf("the command wrote %d dashboards, want 5", len(want))
	}
	for _, c := range committed {
		if *update {
			if err := os.RemoveAll(c); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(c, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, b := range want {
				if err := os.WriteFile(filepath.Join(c, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		got := readDir(t, c)
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("%s/%s differs from `throughline dashboards --out` (run go test ./deploy -update)", c, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s/%s is not generated any more (run go test ./deploy -update)", c, name)
			}
		}
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// composeEnv are the secrets the stack refuses to start without.
var composeEnv = []string{
	"THROUGHLINE_TOKEN=0123456789abcdef0123", "CLICKHOUSE_PASSWORD=ch-secret",
	"GRAFANA_CLICKHOUSE_PASSWORD=grafana-secret", "GRAFANA_ADMIN_PASSWORD=admin-secret",
}

// compose returns how to run `compose`: Docker's plugin when it is there,
// else Debian's docker-compose, installed when missing.
func compose(t *testing.T) []string {
	t.Helper()
	if out, err := run(t, nil, "docker", "compose", "version"); err == nil && strings.Contains(out, "version") {
		return []string{"docker", "compose"}
	}
	return []string{need(t, "docker-compose", "docker-compose")}
}

func TestComposeConfig(t *testing.T) {
	c := compose(t)
	args := append(c[1:], "-f", "compose.yaml", "config")
	out, err := run(t, composeEnv, c[0], args...)
	if err != nil {
		t.Fatalf("compose config: %v\n%s", err, out)
	}
	var cfg struct {
		Services map[string]struct {
			Image       string
			Environment map[string]string
			Volumes     []any
			Build       any
		}
	}
	if err := yaml.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("compose config output: %v\n%s", err, out)
	}
	for _, s := range []string{"clickhouse", "throughline", "prometheus", "grafana"} {
		if _, ok := cfg.Services[s]; !ok {
			t.Errorf("no %s service", s)
		}
	}
	if cfg.Services["throughline"].Build == nil {
		t.Error("throughline must build from deploy/Dockerfile")
	}
	g := cfg.Services["grafana"]
	if !strings.Contains(g.Environment["GF_PLUGINS_PREINSTALL_SYNC"], "grafana-clickhouse-datasource") {
		t.Error("grafana must install the ClickHouse plugin")
	}
	vols := fmt.Sprint(g.Volumes)
	for _, p := range []string{"grafana/provisioning", "grafana/dashboards"} {
		if !strings.Contains(vols, p) {
			t.Errorf("grafana does not mount %s: %s", p, vols)
		}
	}
	// Every variable the provisioned data sources read is set for Grafana.
	prov, err := os.ReadFile("grafana/provisioning/datasources/throughline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range envRefs(string(prov)) {
		if _, ok := g.Environment[v]; !ok {
			t.Errorf("datasource provisioning reads $%s, which the grafana service does not set", v)
		}
	}
	// And each ClickHouse config's from_env is set for ClickHouse.
	for _, f := range []string{"clickhouse/users.d/grafana.xml"} {
		for _, v := range fromEnv(t, f) {
			if _, ok := cfg.Services["clickhouse"].Environment[v]; !ok {
				t.Errorf("%s reads %s, which the clickhouse service does not set", f, v)
			}
		}
	}

	// Without its secrets the stack must not start with defaults.
	out, err = run(t, []string{"THROUGHLINE_TOKEN=", "CLICKHOUSE_PASSWORD=", "GRAFANA_CLICKHOUSE_PASSWORD=", "GRAFANA_ADMIN_PASSWORD="}, c[0], args...)
	if err == nil || !strings.Contains(out, "set ") {
		t.Errorf("compose config without secrets: %v\n%s", err, out)
	}
}

func envRefs(s string) []string {
	var out []string
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	for _, f := range strings.Fields(strings.Join(lines, "\n")) {
		if strings.HasPrefix(f, "$") {
			out = append(out, strings.Trim(f, "${}"))
		}
	}
	return out
}

func fromEnv(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "from_env" {
					out = append(out, a.Value)
				}
			}
		}
	}
}

func TestClickHouseConfigs(t *testing.T) {
	files, err := filepath.Glob("clickhouse/*/*.xml")
	if err != nil || len(files) < 4 {
		t.Fatalf("clickhouse configs: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			fromEnv(t, f) // parses the whole document: well-formed XML
			b, _ := os.ReadFile(f)
			var root struct{ XMLName xml.Name }
			if err := xml.Unmarshal(b, &root); err != nil || root.XMLName.Local != "clickhouse" {
				t.Errorf("root element %q (%v): ClickHouse reads <clickhouse>", root.XMLName.Local, err)
			}
		})
	}
	// The cluster file names the cluster the Helm values and README use.
	b, _ := os.ReadFile("clickhouse/cluster/throughline-cluster.xml")
	if !strings.Contains(string(b), "<throughline>") || !strings.Contains(string(b), "{shard}") && !strings.Contains(string(b), "CLICKHOUSE_SHARD") {
		t.Error("cluster config must define the throughline cluster and the shard/replica macros")
	}
}

func TestPrometheusConfig(t *testing.T) {
	promtool := need(t, "promtool", "prometheus")
	if out, err := run(t, nil, promtool, "check", "config", "prometheus/prometheus.yml"); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	b, _ := os.ReadFile("prometheus/prometheus.yml")
	if !strings.Contains(string(b), `"throughline:8080"`) {
		t.Error("prometheus must scrape the throughline service on 8080")
	}
}

// TestGrafanaProvisioning checks that the provisioned data sources are
// the ones the dashboards select by default.
func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, UID, Type string
			JSONData        map[string]any `yaml:"jsonData"`
		}
	}
	b, err := os.ReadFile("grafana/provisioning/datasources/throughline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &ds); err != nil {
		t.Fatal(err)
	}
	uids := map[string]string{}
	for _, d := range ds.Datasources {
		uids[d.Type] = d.UID
	}
	var dash struct {
		Templating struct {
			List []struct {
				Type, Name string
				Query      any
				Current    struct{ Value any }
			}
		}
	}
	b, err = os.ReadFile("grafana/dashboards/throughline-delivery.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range dash.Templating.List {
		if v.Type != "datasource" {
			continue
		}
		n++
		plugin, _ := v.Query.(string)
		if uids[plugin] == "" || v.Current.Value != uids[plugin] {
			t.Errorf("dashboard variable %s selects %v of type %s; provisioning has %q", v.Name, v.Current.Value, plugin, uids[plugin])
		}
	}
	if n != 2 {
		t.Errorf("%d data source variables, want 2", n)
	}
	var prov struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		}
	}
	b, _ = os.ReadFile("grafana/provisioning/dashboards/throughline.yaml")
	if err := yaml.Unmarshal(b, &prov); err != nil || len(prov.Providers) != 1 {
		t.Fatalf("dashboard provider: %v", err)
	}
	compose, _ := os.ReadFile("compose.yaml")
	if !strings.Contains(string(compose), "./grafana/dashboards:"+prov.Providers[0].Options.Path) {
		t.Errorf("compose must mount grafana/dashboards at the provider's path %s", prov.Providers[0].Options.Path)
	}
}

// helm finds Helm, or builds it from its Go module into the repository's
// git-ignored .cache/tools (a few minutes, once per machine).
func helm(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, ".cache", "tools")
	p := filepath.Join(bin, "helm")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Logf("helm missing: go install helm.sh/helm/v3/cmd/helm@%s", helmVersion)
	out, err := run(t, []string{"GOBIN=" + bin, "GOFLAGS=-mod=mod"}, goTool(t), "install", "helm.sh/helm/v3/cmd/helm@"+helmVersion)
	if err != nil {
		t.Fatalf("installing helm: %v\n%s", err, out)
	}
	return p
}

var chartValues = [][]string{
	{"--set", "secret.create=true", "--set", "secret.clickhouseUrl=clickhouse://throughline:pw@clickhouse:9000/throughline", "--set", "secret.apiTokens=0123456789abcdef0123"},
	{"--set", "clickhouse.existingSecret=ch", "--set", "apiTokens.existingSecret=tokens", "--set", "clickhouse.cluster=throughline",
		"--set", "grafanaDashboards.enabled=true", "--set", "spool.existingClaim=spool", "--set", "serviceMonitor.labels.release=prom"},
}

func TestHelmChart(t *testing.T) {
	h := helm(t)
	for i, vals := range chartValues {
		t.Run(fmt.Sprint("values", i), func(t *testing.T) {
			if out, err := run(t, nil, h, append([]string{"lint", "--strict", "helm/throughline"}, vals...)...); err != nil {
				t.Fatalf("helm lint: %v\n%s", err, out)
			}
			out, err := run(t, nil, h, append([]string{"template", "tl", "helm/throughline"}, vals...)...)
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, out)
			}
			checkManifests(t, out, i == 1)
		})
	}
	// Without a way to the DSN and the tokens the chart refuses to render.
	out, err := run(t, nil, h, "template", "tl", "helm/throughline")
	if err == nil || !strings.Contains(out, "existingSecret") {
		t.Errorf("chart rendered without secrets: %v\n%s", err, out)
	}
}

// checkManifests validates the rendered objects against what Kubernetes
// requires of them and what Throughline needs: probes on /healthz and
// /readyz, the secrets by reference, the ServiceMonitor on /metrics.
func checkManifests(t *testing.T, rendered string, cluster bool) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(rendered))
	kinds := map[string][]map[string]any{}
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered YAML: %v", err)
		}
		if doc == nil {
			continue
		}
		for _, k := range []string{"apiVersion", "kind", "metadata"} {
			if doc[k] == nil {
				t.Fatalf("object without %s: %v", k, doc)
			}
		}
		name, _ := get(doc, "metadata", "name").(string)
		if name == "" || len(name) > 63 {
			t.Errorf("%s has a bad name %q", doc["kind"], name)
		}
		kinds[doc["kind"].(string)] = append(kinds[doc["kind"].(string)], doc)
	}
	want := []string{"ConfigMap", "Deployment", "Job", "Service", "ServiceMonitor"}
	var got []string
	for k := range kinds {
		got = append(got, k)
	}
	sort.Strings(got)
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("no %s rendered (have %v)", k, got)
		}
	}
	dep := kinds["Deployment"][0]
	if get(dep, "apiVersion") != "apps/v1" {
		t.Errorf("Deployment apiVersion %v", get(dep, "apiVersion"))
	}
	sel := fmt.Sprint(get(dep, "spec", "selector", "matchLabels"))
	if sel != fmt.Sprint(get(dep, "spec", "template", "metadata", "labels")) && !strings.Contains(fmt.Sprint(get(dep, "spec", "template", "metadata", "labels")), "app.kubernetes.io/name") {
		t.Errorf("selector %s does not match the pod labels", sel)
	}
	c := get(dep, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if get(c, probe, "httpGet", "path") != path {
			t.Errorf("%s path %v, want %s", probe, get(c, probe, "httpGet", "path"), path)
		}
	}
	env := fmt.Sprint(c["env"])
	for _, v := range []string{"THROUGHLINE_CLICKHOUSE_URL", "THROUGHLINE_API_TOKENS", "secretKeyRef"} {
		if !strings.Contains(env, v) {
			t.Errorf("container env lacks %s: %s", v, env)
		}
	}
	if strings.Contains(env, "clickhouse://") {
		t.Error("the DSN must come from a Secret, not sit in the Deployment")
	}
	sm := kinds["ServiceMonitor"][0]
	ep := get(sm, "spec", "endpoints").([]any)[0].(map[string]any)
	if ep["path"] != "/metrics" || ep["port"] != "http" {
		t.Errorf("ServiceMonitor endpoint %v", ep)
	}
	cfg, _ := get(kinds["ConfigMap"][0], "data", "throughline.yaml").(string)
	var parsed map[string]any
	if err := yaml.Unmarshal([]byte(cfg), &parsed); err != nil || parsed["catalog"] == nil || parsed["listen"] == nil {
		t.Errorf("rendered throughline.yaml: %v\n%s", err, cfg)
	}
	job := fmt.Sprint(get(kinds["Job"][0], "spec", "template", "spec", "containers"))
	if cluster != strings.Contains(job, "--cluster") {
		t.Errorf("migrate job args (cluster %v): %s", cluster, job)
	}
	if cluster && len(kinds["ConfigMap"]) != 6 {
		t.Errorf("%d ConfigMaps, want the config and 5 dashboards", len(kinds["ConfigMap"]))
	}
}

func get(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

// need finds a command, installing the Debian package that has it when it
// is missing (CI machines start fresh; tests run as root there).
func need(t *testing.T, cmd, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(cmd); err == nil {
		return p
	}
	t.Logf("%s missing: apt-get install %s", cmd, pkg)
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", pkg}} {
		if out, err := run(t, []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", args...); err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	p, err := exec.LookPath(cmd)
	if err != nil {
		t.Fatalf("%s not found after installing %s", cmd, pkg)
	}
	return p
}

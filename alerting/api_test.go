package alerting

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/queries/chtest"
)

// TestOpenAPIMatchesRoutes keeps the path items equal to the routes the
// Mount registers.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	st := chtest.NewStore(t, chtest.Embedded(t))
	e, err := New(Options{Store: st, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	m := e.Mount()
	m.Register(r.Group("/api/v1"))
	var routes []string
	for _, rt := range r.Routes() {
		parts := strings.Split(rt.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		routes = append(routes, rt.Method+" "+strings.Join(parts, "/"))
	}
	var documented []string
	for path, item := range m.Paths {
		b, _ := json.Marshal(item)
		var ops map[string]any
		if err := json.Unmarshal(b, &ops); err != nil {
			t.Fatal(err)
		}
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if strings.Join(routes, "\n") != strings.Join(documented, "\n") {
		t.Errorf("routes:\n%s\ndocumented:\n%s", strings.Join(routes, "\n"), strings.Join(documented, "\n"))
	}
}

func TestAPIInputErrors(t *testing.T) {
	st := chtest.NewStore(t, chtest.Embedded(t))
	e, err := New(Options{Store: st, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv := apiServer(t, e)
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"bad state", "GET", "/api/v1/alerts?state=angry", "", http.StatusBadRequest},
		{"alerts", "GET", "/api/v1/alerts", "", http.StatusOK},
		{"audit bad from", "GET", "/api/v1/alerts/audit?from=yesterday", "", http.StatusBadRequest},
		{"audit bad limit", "GET", "/api/v1/alerts/audit?limit=0", "", http.StatusBadRequest},
		{"audit window backwards", "GET", "/api/v1/alerts/audit?from=2026-12-02&to=2026-12-01", "", http.StatusBadRequest},
		{"audit", "GET", "/api/v1/alerts/audit?from=2026-01-01", "", http.StatusOK},
		{"deliveries", "GET", "/api/v1/alerts/deliveries", "", http.StatusOK},
		{"webhook not json", "POST", "/api/v1/alerts/webhook", "hello", http.StatusBadRequest},
		{"webhook version", "POST", "/api/v1/alerts/webhook", `{"version":"3","alerts":[{}]}`, http.StatusBadRequest},
		{"kill switch body", "POST", "/api/v1/alerts/killswitch", `{"by":"x"}`, http.StatusBadRequest},
		{"callback no id", "POST", "/api/v1/alerts/runbooks/callback", `{"status":"success"}`, http.StatusBadRequest},
		{"deny unknown", "POST", "/api/v1/alerts/actions/x/deny", `{"approver":"a"}`, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			var body string
			if tc.method == "GET" {
				code, body = get(t, srv.URL+tc.path)
			} else {
				code, body = post(t, srv.URL+tc.path, tc.body)
			}
			if code != tc.want {
				t.Errorf("%d %s, want %d", code, body, tc.want)
			}
			if code >= 400 && !strings.Contains(body, `"error"`) {
				t.Errorf("error body without an error: %s", body)
			}
		})
	}
}

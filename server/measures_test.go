package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/throughline/throughline/queries/chtest"
)

func TestMeasuresAPI(t *testing.T) {
	ts := newTestServer(t, chtest.NewStore(t, chtest.Embedded(t)), tsOptions{})
	body := `[{"id":"c1","source":"git","type":"change.committed","time":"2026-03-01T00:00:00Z","subject":"aaaaaaa1","service":"api"},
{"id":"d1","source":"cd","type":"deployment.finished","time":"2026-03-01T06:00:00Z","subject":"d1","service":"api","environment":"production","outcome":"success","commits":["aaaaaaa1"]}]`
	if r := do(t, "POST", ts.URL+"/api/v1/events", []byte(body), nil); r.Status != 200 {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	r := do(t, "GET", ts.URL+"/api/v1/measures?from=2026-03-01&to=2026-03-02&group_by=service", nil, nil)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var rep struct {
		GroupBy string `json:"group_by"`
		Groups  []struct {
			Key      string              `json:"key"`
			Measures map[string]*float64 `json:"measures"`
			Tiers    map[string]*string  `json:"tiers"`
		}
	}
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.GroupBy != "service" || len(rep.Groups) != 1 || rep.Groups[0].Key != "api" {
		t.Fatalf("report %s", r.Body)
	}
	m := rep.Groups[0].Measures
	if *m["change_lead_time_median_seconds"] != 21600 || *m["deployments"] != 1 || m["failed_deployment_recovery_time_median_seconds"] != nil {
		t.Fatalf("measures %s", r.Body)
	}
	if !strings.Contains(string(r.Body), `"failed_deployment_recovery_time_median_seconds":null`) {
		t.Fatalf("null measures must be JSON null: %s", r.Body)
	}
	if *rep.Groups[0].Tiers["change_lead_time_median_seconds"] != "elite" {
		t.Fatalf("tiers %s", r.Body)
	}
	for _, tc := range []struct{ q, want string }{
		{"group_by=colour", `group_by \"colour\" is not one of service, team, product, portfolio`},
		{"from=2026-03-02&to=2026-03-01", "must be before to"},
		{"from=2026-03-01&to=2026-03-01", "must be before to"},
		{"from=soon", `from: \"soon\" is not an RFC 3339 time`},
		{"to=2026-13-45", `to: \"2026-13-45\" is not an RFC 3339 time`},
		{"grup_by=team", `unknown parameter \"grup_by\"`},
	} {
		r := do(t, "GET", ts.URL+"/api/v1/measures?"+tc.q, nil, nil)
		if r.Status != 400 || !strings.Contains(string(r.Body), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %s", tc.q, r.Status, r.Body, tc.want)
		}
	}
}

func TestAuthAndOpenAPI(t *testing.T) {
	tok := "s3cret-token-0123456789"
	ts := newTestServer(t, chtest.NewStore(t, chtest.Embedded(t)), tsOptions{tokens: []string{tok}})
	for _, tc := range []struct {
		path    string
		headers map[string]string
		status  int
	}{
		{"/api/v1/events", nil, 401},
		{"/api/v1/events", map[string]string{"Authorization": "Bearer wrong"}, 401},
		{"/api/v1/events", map[string]string{"Authorization": "Bearer " + tok}, 200},
		{"/api/v1/measures", nil, 401},
		{"/healthz", nil, 200},
		{"/readyz", nil, 200},
		{"/metrics", nil, 200},
	} {
		r := do(t, "GET", ts.URL+tc.path, nil, tc.headers)
		if r.Status != tc.status {
			t.Errorf("GET %s with %v: %d, want %d: %s", tc.path, tc.headers, r.Status, tc.status, r.Body)
		}
	}
	if r := do(t, "POST", ts.URL+"/webhooks/github", []byte("{}"), nil); r.Status != 401 {
		t.Errorf("webhook without token: %d", r.Status)
	}
	if r := do(t, "POST", ts.URL+"/webhooks/nosuch?token="+tok, []byte("{}"), nil); r.Status != 404 || !strings.Contains(string(r.Body), `unknown source \"nosuch\"`) {
		t.Errorf("unknown source: %d %s", r.Status, r.Body)
	}
	// The OpenAPI document describes exactly the routes the server has.
	r := do(t, "GET", ts.URL+"/api/v1/openapi.json", nil, map[string]string{"Authorization": "Bearer " + tok})
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %v %s", err, doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range ts.srv.Routes() {
		registered[r] = true
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for d := range documented {
		if !registered[d] {
			t.Errorf("openapi.json documents %s, which the server does not have", d)
		}
	}
}

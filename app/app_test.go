package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/config"
)

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		tokens []string
		ok     bool
	}{
		{"127.0.0.1:8080", nil, true},
		{"localhost:8080", nil, true},
		{"[::1]:8080", nil, true},
		{"0.0.0.0:8080", nil, false},
		{":8080", nil, false},
		{"10.1.2.3:8080", nil, false},
		{"0.0.0.0:8080", []string{"0123456789abcdef"}, true},
	} {
		err := CheckListen(tc.addr, tc.tokens)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, %v) = %v, want ok=%v", tc.addr, tc.tokens, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "API tokens") {
			t.Errorf("error does not say what to do: %v", err)
		}
	}
}

// TestRunLifecycle starts the whole service on 127.0.0.1:0 with the
// embedded engine, uses it over HTTP, and stops it.
func TestRunLifecycle(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader("api_tokens: [\"lifecycle-token-0123456789\"]\nsources:\n  github: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = "127.0.0.1:0"
	cfg.Data = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Version: "test", Listening: func(a string) { addr <- a }})
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("service did not start")
	}
	get := func(path string, auth bool) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer lifecycle-token-0123456789")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// Ready once migrations are applied.
	deadline := time.Now().Add(time.Minute)
	for {
		if code, _ := get("/readyz", false); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := get("/api/v1/measures", false); code != 401 {
		t.Errorf("measures without a token: %d, want 401", code)
	}
	if code, body := get("/api/v1/measures", true); code != 200 || !strings.Contains(body, `"groups"`) {
		t.Errorf("measures: %d %s", code, body)
	}
	code, body := get("/api/v1/openapi.json", true)
	if code != 200 || !strings.Contains(body, `"/api/v1/dashboards/{uid}"`) {
		t.Errorf("openapi lacks the mounted dashboards paths: %d", code)
	}
	if code, body := get("/api/v1/dashboards", true); code != 200 || !strings.Contains(body, "uid") {
		t.Errorf("dashboards: %d %.200s", code, body)
	}
	if code, body := get("/api/v1/reports/runs", true); code != 200 {
		t.Errorf("report runs: %d %.200s", code, body)
	}
	if code, body := get("/api/v1/alerts", true); code != 200 {
		t.Errorf("alerts: %d %.200s", code, body)
	}
	if code, body := get("/metrics", false); code != 200 || !strings.Contains(body, "throughline_build_info") {
		t.Errorf("metrics: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after cancel")
	}
}

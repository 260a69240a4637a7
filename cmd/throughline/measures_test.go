package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
)

// TestMeasuresFromARunningServe runs `serve` on the embedded engine, posts
// events to it, and asks it for the measures with `measures --server`, the
// way `measures` does by itself when serve holds the data directory.
func TestMeasuresFromARunningServe(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	var serveErr bytes.Buffer
	go func() {
		served <- run(ctx, []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--log-level", "error"}, &bytes.Buffer{}, &serveErr)
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v\n%s", err, serveErr.String())
		}
		if _, err := os.Stat(filepath.Join(data, "serve.json")); !os.IsNotExist(err) {
			t.Errorf("serve.json left behind after serve stopped: %v", err)
		}
	}()
	var info struct {
		PID int    `json:"pid"`
		URL string `json:"url"`
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(filepath.Join(data, "serve.json")); err == nil && json.Unmarshal(b, &info) == nil && info.URL != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not record its address: %s", serveErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if info.PID != os.Getpid() || !strings.HasPrefix(info.URL, "http://127.0.0.1:") {
		t.Fatalf("serve.json %+v", info)
	}
	evs := []ingest.Event{{ID: "d1", Source: "cli", Type: ingest.TypeDeploymentFinished, Time: time.Now().UTC().Add(-48 * time.Hour),
		Subject: "d1", Service: "shop", Environment: "production", Outcome: "success"}}
	body, _ := json.Marshal(evs)
	// Readiness: the store migrates after the listener is up.
	for {
		res, err := httpPost(info.URL+"/api/v1/events", body)
		if err == nil && res == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("posting events: %d %v", res, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out := outString(t, []string{"measures", "--server", info.URL, "--group-by", "service", "--format", "json"})
	var rep struct {
		Groups []struct {
			Key      string              `json:"key"`
			Measures map[string]*float64 `json:"measures"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Groups) != 1 || rep.Groups[0].Key != "shop" || rep.Groups[0].Measures["deployments"] == nil || *rep.Groups[0].Measures["deployments"] != 1 {
		t.Errorf("measures from serve: %s", out)
	}
	var o, e bytes.Buffer
	if err := run(context.Background(), []string{"measures", "--server", "ftp://x"}, &o, &e); err == nil || !strings.Contains(err.Error(), "--server") {
		t.Errorf("a bad --server: %v", err)
	}
}

func httpPost(url string, body []byte) (int, error) {
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

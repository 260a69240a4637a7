package poll

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRedirectToAnotherHostRefused(t *testing.T) {
	var got string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("PRIVATE-TOKEN")
		w.Write([]byte(`[]`))
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evilURL+"/x", http.StatusFound)
	}))
	defer api.Close()
	c, _ := NewClient(ClientOptions{BaseURL: api.URL, Auth: Auth{Kind: AuthHeader, Header: "PRIVATE-TOKEN", Token: "glpat-secret"}})
	c.Get(context.Background(), "/projects/1", nil)
	if got != "" {
		t.Errorf("another host received PRIVATE-TOKEN %q", got)
	}
}

func TestCheckpointGapIsReadAgain(t *testing.T) {
	cp := NewMemoryCheckpoint("j")
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	cp.Begin("x", d(1, 1), time.Hour, d(3, 1))
	cp.Finish("x")
	cp.Begin("x", d(6, 1), time.Hour, d(7, 1))
	cp.Finish("x")
	s, _ := cp.Begin("x", d(1, 1), time.Hour, d(7, 2))
	if s.Since.After(d(3, 1)) {
		t.Errorf("asked for since Jan 1, reads from %s: Mar 1..Jun 1 never read", s.Since.Format(time.DateOnly))
	}
}

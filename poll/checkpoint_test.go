package poll_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
)

func TestCheckpointPassesAndResume(t *testing.T) {
	dir := t.TempDir()
	store, err := poll.OpenCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := store.Open("acme/shop github")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := cp.Begin("commits", since, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Since.Equal(since) || !s.InProgress || s.Next != "" {
		t.Fatalf("first pass %+v", s)
	}
	if err := cp.Advance("commits", "/commits?page=2", 100); err != nil {
		t.Fatal(err)
	}

	// The process dies here; a new one opens the same file.
	cp2, err := store.Open("acme/shop github")
	if err != nil {
		t.Fatal(err)
	}
	s, err = cp2.Begin("commits", since, time.Hour, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if s.Next != "/commits?page=2" || s.Items != 100 || !s.Started.Equal(t0) {
		t.Fatalf("resumed pass %+v", s)
	}
	if err := cp2.Finish("commits"); err != nil {
		t.Fatal(err)
	}
	got := cp2.Stream("commits")
	if got.InProgress || !got.Watermark.Equal(t0) || !got.From.Equal(since) || got.Next != "" {
		t.Fatalf("finished %+v", got)
	}

	// The next pass starts an hour (the overlap) before the watermark.
	s, err = cp2.Begin("commits", since, time.Hour, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Since.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("incremental since %s", s.Since)
	}
	if err := cp2.Finish("commits"); err != nil {
		t.Fatal(err)
	}
	// Asking for older history than covered starts from there again.
	older := since.AddDate(0, -6, 0)
	s, err = cp2.Begin("commits", older, time.Hour, t0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Since.Equal(older) {
		t.Fatalf("deeper backfill since %s, want %s", s.Since, older)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || !strings.HasSuffix(files[0], ".json") || strings.Contains(filepath.Base(files[0]), " ") {
		t.Fatalf("files %v: want one JSON file with a safe name and no temporary left", files)
	}
}

func TestCheckpointFileProblems(t *testing.T) {
	dir := t.TempDir()
	store, err := poll.OpenCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"not json", "{", "not a checkpoint"},
		{"newer version", `{"version":2,"job":"j"}`, "version 2"},
		{"other job", `{"version":1,"job":"other"}`, `belongs to job "other"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(store.Path("j"), []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := store.Open("j")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), store.Path("j")) {
				t.Fatalf("err %v, want %q naming the file", err, tc.want)
			}
		})
	}
	if err := store.Reset("j"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open("j"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	if a, b := store.Path("a/b"), store.Path("a_b"); a == b {
		t.Fatalf("job names a/b and a_b share the file %s", a)
	}
	cp := poll.NewMemoryCheckpoint("m")
	if err := cp.Advance("x", "next", 1); err == nil {
		t.Fatal("Advance without Begin must fail")
	}
}

func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"version":1,"job":"j","streams":{"commits":{"in_progress":true,"next":"/x?page=2","items":3}}}`))
	f.Add([]byte(`{"version":1,"streams":{"":{}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := poll.DecodeState(b)
		if err == nil && st.Streams == nil {
			t.Fatal("decoded state without a stream map")
		}
	})
}

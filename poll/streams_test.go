package poll_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
)

func TestValidateStreams(t *testing.T) {
	known := []string{"commits", "pulls"}
	for _, tc := range []struct {
		name string
		got  []string
		want string
	}{
		{"none", nil, ""},
		{"known", []string{"pulls", "commits"}, ""},
		{"unknown", []string{"commits", "issues"}, `streams[1]: "issues" is not one of commits, pulls`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := poll.ValidateStreams("streams", tc.got, known)
			if got := errText(err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidPerPage(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, ""},
		{100, ""},
		{-1, "per_page: -1 is not between 1 and 100"},
		{101, "per_page: 101 is not between 1 and 100"},
	} {
		if got := errText(poll.ValidPerPage("per_page", tc.n, 100)); got != tc.want {
			t.Errorf("%d: got %q, want %q", tc.n, got, tc.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// onePage is a Fetch of one page holding an event with id.
func onePage(id string, ran *[]string) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		*ran = append(*ran, id)
		return poll.Page{Items: 1, Events: []ingest.Event{{ID: id}}}, nil
	}
}

func TestRunStreams(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name     string
		streams  []string
		wantRan  []string
		wantErr  error
		wantSink []string
	}{
		{"in the given order", []string{"b", "a"}, []string{"b", "a"}, nil, []string{"b", "a"}},
		{"only those given", []string{"a"}, []string{"a"}, nil, []string{"a"}},
		{"stops at an error", []string{"a", "bad", "b"}, []string{"a"}, boom, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			fetches := map[string]poll.Fetch{
				"a": onePage("a", &ran),
				"b": onePage("b", &ran),
				"bad": func(context.Context, string, time.Time) (poll.Page, error) {
					return poll.Page{}, boom
				},
			}
			var got polltest.Collector
			err := poll.RunStreams(context.Background(), poll.Request{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
				poll.NewMemoryCheckpoint("x"), got.Sink, tc.streams, fetches)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(ran, tc.wantRan) {
				t.Errorf("ran %v, want %v", ran, tc.wantRan)
			}
			var ids []string
			for _, e := range got.Events() {
				ids = append(ids, e.ID)
			}
			if !slices.Equal(ids, tc.wantSink) {
				t.Errorf("stored %v, want %v", ids, tc.wantSink)
			}
		})
	}
}

// recorder is a Webhook that keeps what Parse is given.
type recorder struct {
	h    http.Header
	body string
}

func (r *recorder) Source() string                   { return "recorder" }
func (r *recorder) Verify(http.Header, []byte) error { return nil }
func (r *recorder) Parse(h http.Header, b []byte) ([]ingest.Event, error) {
	r.h, r.body = h, string(b)
	return []ingest.Event{{ID: "e"}}, nil
}

func TestParsePayload(t *testing.T) {
	var w recorder
	evs, err := poll.ParsePayload(&w, http.Header{"X-Event": {"push"}}, map[string]int{"n": 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	if w.body != `{"n":1}` || w.h.Get("X-Event") != "push" {
		t.Errorf("parsed %s with %v", w.body, w.h)
	}
	if _, err := poll.ParsePayload(&w, nil, struct{}{}); err != nil || w.h == nil {
		t.Errorf("nil header: %v, header %v", err, w.h)
	}
	if _, err := poll.ParsePayload(&w, nil, func() {}); !errors.Is(err, ingest.ErrPayload) {
		t.Errorf("unencodable payload: %v, want ErrPayload", err)
	}
}

func TestGetAll(t *testing.T) {
	srv := polltest.New(t, "")
	srv.Add(polltest.Route{Path: "/missing", Status: http.StatusNotFound, Body: `{"message":"Not Found"}`})
	srv.Add(polltest.Route{Path: "/items", Body: `[1,2]`, Headers: map[string]string{"Link": `<{{base}}/items?page=2>; rel="next"`}})
	srv.Add(polltest.Route{Path: "/items", Query: map[string]string{"page": "2"}, Body: `[3,4]`, Headers: map[string]string{"Link": `<{{base}}/items?page=3>; rel="next"`}})
	srv.Add(polltest.Route{Path: "/items", Query: map[string]string{"page": "3"}, Body: `[5]`})
	c, err := poll.NewClient(poll.ClientOptions{BaseURL: srv.URL, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit int
		want  []int
	}{
		{100, []int{1, 2, 3, 4, 5}},
		{3, []int{1, 2, 3, 4}}, // whole pages, stopping once the limit is reached
		{2, []int{1, 2}},
	} {
		got, err := poll.GetAll[int](context.Background(), c, "/items", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("limit %d: got %v, want %v", tc.limit, got, tc.want)
		}
	}
	if _, err := poll.GetAll[int](context.Background(), c, "/missing", 10); err == nil {
		t.Error("a 404 page: no error")
	}
}

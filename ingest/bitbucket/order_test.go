package bitbucket

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
)

// TestCommitsPastAnOldAuthorDate: a commit rebased today but authored ten days ago does not
// end the stream: the direct push below it is still read.
func TestCommitsPastAnOldAuthorDate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2.0/repositories/acme/shop":
			fmt.Fprint(w, `{"full_name":"acme/shop","mainbranch":{"name":"main"}}`)
		case "/2.0/repositories/acme/shop/commits/main":
			fmt.Fprint(w, `{"pagelen":50,"values":[
			 {"hash":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","date":"2026-02-06T10:00:00+00:00","message":"today","author":{"raw":"A <a@x>"}},
			 {"hash":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","date":"2026-01-27T10:00:00+00:00","message":"rebased today, authored 10 days ago","author":{"raw":"A <a@x>"}},
			 {"hash":"cccccccccccccccccccccccccccccccccccccccc","date":"2026-02-05T10:00:00+00:00","message":"yesterday, direct push","author":{"raw":"A <a@x>"}}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL + "/2.0", Auth: poll.Auth{Token: "x"}})
	im, _ := NewImporter(ImportOptions{Client: c, Repo: "acme/shop", Streams: []string{StreamCommits}})
	var got polltest.Collector
	if err := im.Import(context.Background(), poll.Request{Since: time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC)}, got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
		t.Fatal(err)
	}
	for _, e := range got.Events() {
		if e.ID == "push:cccccccccccccccccccccccccccccccccccccccc" {
			return
		}
	}
	t.Errorf("yesterday's commit not imported; got %d events", len(got.Events()))
}

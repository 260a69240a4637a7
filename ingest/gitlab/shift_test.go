package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/polltest"
)

// TestMergeRequestUpdatedWhilePaging: an MR on an already-read page is
// updated mid-pass. Paged oldest-updated first it would move to the end and
// shift every later MR up one page, so one would never be read; paged
// newest-updated first (as the importer asks), it moves to the front and is
// only read again.
func TestMergeRequestUpdatedWhilePaging(t *testing.T) {
	type mr struct {
		IID     int64
		Updated time.Time
	}
	base := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var mrs []*mr
	for i := 1; i <= 6; i++ {
		mrs = append(mrs, &mr{IID: int64(i), Updated: base.Add(time.Duration(i) * time.Hour)})
	}
	served := 0
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		p := r.URL.EscapedPath()
		switch {
		case p == "/api/v4/projects/acme%2Fpay":
			fmt.Fprint(w, `{"id":1,"path_with_namespace":"acme/pay","default_branch":"main"}`)
		case strings.HasSuffix(p, "/commits"):
			fmt.Fprint(w, `[]`)
		case p == "/api/v4/projects/1/merge_requests":
			desc := r.URL.Query().Get("sort") == "desc"
			sort.SliceStable(mrs, func(i, j int) bool {
				if desc {
					return mrs[i].Updated.After(mrs[j].Updated)
				}
				return mrs[i].Updated.Before(mrs[j].Updated)
			})
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			page = max(page, 1)
			per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
			lo, hi := (page-1)*per, min(page*per, len(mrs))
			var out []map[string]any
			for _, m := range mrs[lo:hi] {
				out = append(out, map[string]any{"iid": m.IID, "title": "t", "state": "merged", "source_branch": "f", "target_branch": "main",
					"sha": "aaaaaaaa", "merge_commit_sha": fmt.Sprintf("%040d", m.IID), "merged_at": m.Updated.Format(time.RFC3339), "updated_at": m.Updated.Format(time.RFC3339)})
			}
			if hi < len(mrs) {
				q := r.URL.Query()
				q.Set("page", strconv.Itoa(page+1))
				w.Header().Set("Link", "<"+srv.URL+p+"?"+q.Encode()+">; rel=\"next\"")
			}
			json.NewEncoder(w).Encode(out)
			if served++; served == 1 {
				// A comment on the first MR served: it was read already.
				mrs[lo].Updated = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := NewAPIClient(poll.ClientOptions{BaseURL: srv.URL + "/api/v4", Auth: poll.Auth{Token: "x"}})
	im, err := NewImporter(ImportOptions{Client: c, Repo: "acme/pay", PerPage: 2, Streams: []string{StreamMergeRequests}})
	if err != nil {
		t.Fatal(err)
	}
	var got polltest.Collector
	if err := im.Import(context.Background(), poll.Request{Since: base}, got.Sink, poll.NewMemoryCheckpoint("x")); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range got.Events() {
		seen[e.ID] = true
	}
	for i := 1; i <= 6; i++ {
		if id := fmt.Sprintf("mr:acme/pay!%d:merged", i); !seen[id] {
			t.Errorf("missing %s", id)
		}
	}
}

package eventstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestLinkerSameServiceWindow(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	dep := func(id, svc, env, outcome string, at time.Time) ingest.Event {
		return ingest.Event{ID: id, Source: "cd", Type: ingest.TypeDeploymentFinished, Time: at, Subject: id,
			Service: svc, Environment: env, Outcome: outcome}
	}
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			es := eventstore.New(e.Store)
			if err := es.Load(context.Background(), []ingest.Event{
				dep("pay-1", "pay", "production", "success", t0.Add(-3*time.Hour)),
				dep("pay-2", "pay", "production", "success", t0.Add(-30*time.Minute)),
				dep("pay-3", "pay", "production", "failure", t0.Add(-10*time.Minute)), // failed: not a candidate
				dep("pay-s", "pay", "staging", "success", t0.Add(-5*time.Minute)),     // not production
				dep("web-1", "web", "production", "success", t0.Add(-1*time.Minute)),  // another service
			}); err != nil {
				t.Fatal(err)
			}
			l := &eventstore.Linker{Store: e.Store, O: eventstore.LinkOptions{Window: time.Hour, Environments: []string{"production"}}}
			inc := func(id, svc string, at time.Time, links map[string]string) ingest.Record {
				return ingest.Record{Event: ingest.Event{ID: id, Source: "pd", Type: ingest.TypeIncidentOpened, Time: at, Subject: id, Service: svc, Links: links}}
			}
			recs := []ingest.Record{
				inc("i1", "pay", t0, nil),                                      // -> pay-2, the latest pay success within 1h
				inc("i2", "pay", t0.Add(2*time.Hour), nil),                     // nothing within 1h
				inc("i3", "pay", t0, map[string]string{"deployment": "pay-1"}), // explicit wins
				inc("i4", "search", t0, nil),                                   // no deployment of that service
			}
			l.Link(context.Background(), recs)
			for i, want := range []struct{ dep, rule string }{
				{"pay-2", "same-service-window"}, {"", "none"}, {"pay-1", "explicit"}, {"", "none"},
			} {
				ev := recs[i].Event
				if ev.Links["deployment"] != want.dep || ev.Attributes["link_rule"] != want.rule {
					t.Errorf("%s: linked to %q by %q, want %q by %q", ev.ID, ev.Links["deployment"], ev.Attributes["link_rule"], want.dep, want.rule)
				}
			}
		})
	}
}

// TestLinkerPushChain: a push head lists the commits of the earlier pushes
// of its branch not yet deployed, from the store or from the same batch,
// and stops at a deployed head.
func TestLinkerPushChain(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	sha := func(c byte) string { return strings.Repeat(string(c), 40) }
	head := func(c byte, at time.Time, before string, commits ...string) ingest.Event {
		e := ingest.Event{ID: "push:" + sha(c), Source: "github", Type: ingest.TypeChangeCommitted, Time: at, Subject: sha(c),
			Repo: "acme/shop", Commits: commits}
		if before != "" {
			e.Attributes = map[string]string{ingest.PushBeforeAttr: before}
		}
		return e
	}
	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			es := eventstore.New(e.Store)
			if err := es.Load(context.Background(), []ingest.Event{
				head('1', t0, "", sha('1'), sha('a')),
				{ID: "d1", Source: "github", Type: ingest.TypeDeploymentFinished, Time: t0.Add(time.Hour), Subject: "d1",
					Service: "shop", Environment: "production", Outcome: "success", Commits: []string{sha('1')[:7]}},
				head('2', t0.Add(2*time.Hour), strings.ToUpper(sha('1')), sha('2'), sha('b')), // after a deployed head
				head('3', t0.Add(3*time.Hour), sha('2'), sha('3'), sha('c'), sha('2'), sha('b')),
			}); err != nil {
				t.Fatal(err)
			}
			l := &eventstore.Linker{Store: e.Store, O: eventstore.LinkOptions{Environments: []string{"production"}}}
			recs := []ingest.Record{
				{Event: head('4', t0.Add(4*time.Hour), sha('3'))},                     // one commit, after 3 (stored, not deployed)
				{Event: head('5', t0.Add(5*time.Hour), sha('4'), sha('5'), sha('e'))}, // after 4, in this batch
				{Event: head('6', t0.Add(6*time.Hour), sha('1'))},                     // after a deployed head
				{Event: head('7', t0.Add(7*time.Hour), sha('9'))},                     // after an unknown head
				{Event: ingest.Event{ID: "push:" + sha('f'), Source: "github", Type: ingest.TypeChangeCommitted, Time: t0, Subject: sha('f')}},
			}
			l.Link(context.Background(), recs)
			want := [][]string{
				{sha('4'), sha('3'), sha('c'), sha('2'), sha('b')},
				{sha('5'), sha('e'), sha('4'), sha('3'), sha('c'), sha('2'), sha('b')},
				nil, nil, nil,
			}
			for i, w := range want {
				if got := recs[i].Event.Commits; strings.Join(got, ",") != strings.Join(w, ",") {
					t.Errorf("%s: commits %v, want %v", recs[i].Event.ID[:12], got, w)
				}
			}
		})
	}
}

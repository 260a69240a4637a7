package eventstore_test

import (
	"context"
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

package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
)

const good = `{"id":"ok-1","source":"script","type":"deployment.finished","time":"2026-11-20T10:04:00Z","subject":"8812","service":"checkout","environment":"production","outcome":"success","commits":["9f1c2e0"]}`

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestMalformedRequests posts bad input of every kind: each gets a 4xx
// whose text names the problem, and good events beside bad ones are stored
// exactly once.
func TestMalformedRequests(t *testing.T) {
	ndjson := map[string]string{"Content-Type": "application/x-ndjson"}
	js := map[string]string{"Content-Type": "application/json"}
	big := "[" + strings.Repeat(good+",", 2000) + good + "]"
	for _, tc := range []struct {
		name     string
		body     []byte
		headers  map[string]string
		status   int
		want     string // in the body
		accepted int    // good events that must be stored
		goodIDs  []string
	}{
		{name: "empty body", body: nil, headers: js, status: 400, want: "empty body"},
		{name: "empty array", body: []byte(" [ ] "), headers: js, status: 400, want: "empty array"},
		{name: "whitespace body", body: []byte("  \n "), headers: js, status: 400, want: "empty body"},
		{name: "truncated array", body: []byte(`[{"id":"x"`), headers: js, status: 400, want: "not a JSON array"},
		{name: "array of garbage", body: []byte(`[1,,2]`), headers: js, status: 400, want: "not a JSON array"},
		{name: "ndjson line not json", body: []byte(good + "\n{nope\n"), headers: ndjson, status: 200, want: "line 2 is not JSON", accepted: 1, goodIDs: []string{"ok-1"}},
		{name: "item is a number", body: []byte(`[42, ` + good + `]`), headers: js, status: 200, want: "must be a JSON object", accepted: 1, goodIDs: []string{"ok-1"}},
		{name: "item is a string", body: []byte(`["hello"]`), headers: js, status: 400, want: "must be a JSON object"},
		{name: "missing id", body: []byte(`[{"source":"s","type":"build.finished","time":"2026-11-20T10:04:00Z","subject":"1","outcome":"success"}]`), headers: js, status: 400, want: "id: is required"},
		{name: "missing source", body: []byte(`[{"id":"a","type":"build.finished","time":"2026-11-20T10:04:00Z","subject":"1","outcome":"success"}]`), headers: js, status: 400, want: "source: is required"},
		{name: "missing type", body: []byte(`[{"id":"a","source":"s","time":"2026-11-20T10:04:00Z","subject":"1"}]`), headers: js, status: 400, want: "type: is required"},
		{name: "unknown type", body: []byte(`[{"id":"a","source":"s","type":"deploy.done","time":"2026-11-20T10:04:00Z","subject":"1"}]`), headers: js, status: 400, want: `"id":"a","error":"type: unknown type "deploy.done"`},
		{name: "missing time", body: []byte(`[{"id":"a","source":"s","type":"build.finished","subject":"1","outcome":"success"}]`), headers: js, status: 400, want: "time: is required"},
		{name: "time without offset", body: []byte(`[{"id":"a","source":"s","type":"build.finished","time":"2026-11-20T10:04:00","subject":"1","outcome":"success"}]`), headers: js, status: 400, want: "has no UTC offset"},
		{name: "time not a time", body: []byte(`[{"id":"a","source":"s","type":"build.finished","time":"yesterday","subject":"1","outcome":"success"}]`), headers: js, status: 400, want: "not an RFC 3339 time"},
		{name: "time as number", body: []byte(`[{"id":"a","source":"s","type":"build.finished","time":1700000000,"subject":"1","outcome":"success"}]`), headers: js, status: 400, want: "time: must be an RFC 3339 string"},
		{name: "missing subject", body: []byte(`[{"id":"a","source":"s","type":"build.finished","time":"2026-11-20T10:04:00Z","outcome":"success"}]`), headers: js, status: 400, want: "subject: is required"},
		{name: "service wrong type", body: []byte(`[{"id":"a","source":"s","type":"incident.opened","time":"2026-11-20T10:04:00Z","subject":"1","service":["x"]}]`), headers: js, status: 400, want: "service: must be a string"},
		{name: "deployment without environment", body: []byte(`[{"id":"a","source":"s","type":"deployment.finished","time":"2026-11-20T10:04:00Z","subject":"1","service":"x","outcome":"success"}]`), headers: js, status: 400, want: "environment: is required for type deployment.finished"},
		{name: "bad outcome", body: []byte(`[{"id":"a","source":"s","type":"build.finished","time":"2026-11-20T10:04:00Z","subject":"1","outcome":"ok"}]`), headers: js, status: 400, want: `outcome: must be success or failure, not "ok"`},
		{name: "bad kind", body: []byte(`[{"id":"a","source":"s","type":"work_item.created","time":"2026-11-20T10:04:00Z","subject":"1","kind":"epic"}]`), headers: js, status: 400, want: "kind: must be one of feature, defect, risk, debt"},
		{name: "bad priority", body: []byte(`[{"id":"a","source":"s","type":"incident.opened","time":"2026-11-20T10:04:00Z","subject":"1","service":"x","priority":"urgent"}]`), headers: js, status: 400, want: "priority: must be P1..P5"},
		{name: "commits not array", body: []byte(`[{"id":"a","source":"s","type":"change.merged","time":"2026-11-20T10:04:00Z","subject":"1","commits":"abc"}]`), headers: js, status: 400, want: "commits: must be an array of strings"},
		{name: "automated not bool", body: []byte(`[{"id":"a","source":"s","type":"incident.resolved","time":"2026-11-20T10:04:00Z","subject":"1","automated":"yes"}]`), headers: js, status: 400, want: "automated: must be true or false"},
		{name: "unknown link", body: []byte(`[{"id":"a","source":"s","type":"incident.resolved","time":"2026-11-20T10:04:00Z","subject":"1","links":{"ticket":"T1"}}]`), headers: js, status: 400, want: "links.ticket: unknown link"},
		{name: "links not object", body: []byte(`[{"id":"a","source":"s","type":"incident.resolved","time":"2026-11-20T10:04:00Z","subject":"1","links":["x"]}]`), headers: js, status: 400, want: "links: must be an object"},
		{name: "attributes nested", body: []byte(`[{"id":"a","source":"s","type":"incident.resolved","time":"2026-11-20T10:04:00Z","subject":"1","attributes":{"a":{"b":1}}}]`), headers: js, status: 400, want: `attributes: value of "a" must be a string`},
		{name: "year out of range", body: []byte(`[{"id":"a","source":"s","type":"build.finished","time":"1900-01-01T00:00:00Z","subject":"1","outcome":"success"}]`), headers: js, status: 400, want: "out of range"},
		{name: "body over the limit", body: []byte(big), headers: js, status: 413, want: "body larger than the limit"},
		{name: "gzip body over the limit", body: gz(big), headers: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, status: 413, want: "body larger than the limit"},
		{name: "gzip header but plain body", body: []byte(good), headers: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, status: 400, want: "is not gzip"},
		{name: "cloudevents batch on the generic endpoint", body: []byte(`[{"specversion":"1.0","id":"1","source":"s","type":"dev.cdevents.service.deployed.0.2.0","data":{}}]`), headers: map[string]string{"Content-Type": "application/cloudevents-batch+json"}, status: 415, want: "POST /webhooks/cdevents"},
		{name: "unsupported content encoding", body: []byte(good), headers: map[string]string{"Content-Type": "application/json", "Content-Encoding": "br"}, status: 415, want: `Content-Encoding "br" is not supported`},
		{name: "unsupported content type", body: []byte("<xml/>"), headers: map[string]string{"Content-Type": "application/xml"}, status: 415, want: "application/xml is not supported"},
		{name: "unsupported cdevent type", body: []byte(`[{"context":{"specversion":"0.4.1","id":"c1","source":"s","type":"dev.cdevents.testcaserun.finished.0.1.0","timestamp":"2026-11-20T10:04:00Z"},"subject":{"id":"x","content":{}}}]`), headers: js, status: 400, want: "testcaserun"},
		{name: "good and bad mixed", body: []byte("[" + good + `, {"id":"bad"}, ` + strings.Replace(good, "ok-1", "ok-2", 1) + "]"), headers: js, status: 200, want: `"index":1`, accepted: 2, goodIDs: []string{"ok-1", "ok-2"}},
		{name: "same event twice in one body", body: []byte("[" + good + "," + good + "]"), headers: js, status: 200, want: `"accepted":2`, accepted: 2, goodIDs: []string{"ok-1"}},
		{name: "one pretty-printed event", body: []byte("{\n  \"id\": \"ok-1\",\n  \"source\": \"s\",\n  \"type\": \"build.finished\",\n  \"time\": \"2026-11-20T10:04:00Z\",\n  \"subject\": \"1\",\n  \"outcome\": \"success\"\n}\n"), headers: js, status: 200, want: `"accepted":1`, accepted: 1, goodIDs: []string{"ok-1"}},
		{name: "gzip good body", body: gz(good), headers: map[string]string{"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}, status: 200, want: `"accepted":1`, accepted: 1, goodIDs: []string{"ok-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, eng := range chtest.Engines(t) {
				t.Run(eng.Name, func(t *testing.T) {
					ts := newTestServer(t, eng.Store, tsOptions{maxBody: 64 << 10})
					r := do(t, "POST", ts.URL+"/api/v1/events", tc.body, tc.headers)
					if r.Status != tc.status {
						t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
					}
					if !strings.Contains(unquote(r.Body), tc.want) {
						t.Fatalf("body %s does not contain %q", r.Body, tc.want)
					}
					if r.Status >= 400 && !json.Valid(r.Body) {
						t.Fatalf("error body is not JSON: %s", r.Body)
					}
					// Post it again: nothing may be stored twice.
					do(t, "POST", ts.URL+"/api/v1/events", tc.body, tc.headers)
					evs, err := eventstore.New(ts.Store).List(context.Background(), queries.EventFilter{From: time.Unix(0, 0), To: time.Now().AddDate(5, 0, 0), Limit: 100})
					if err != nil {
						t.Fatal(err)
					}
					var ids []string
					for _, e := range evs {
						ids = append(ids, e.ID)
					}
					want := append([]string(nil), tc.goodIDs...)
					if len(ids) != len(want) {
						t.Fatalf("stored %v, want exactly %v", ids, want)
					}
				})
			}
		})
	}
}

// TestRoundTrip sends every field and every type of EVENTS.md, and reads
// back exactly what was sent (times in UTC), on both engines.
func TestRoundTrip(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 4, 0, 0, time.FixedZone("", 2*3600))
	var sent []ingest.Event
	for i, typ := range ingest.Types() {
		e := ingest.Event{
			ID: fmt.Sprintf("rt-%02d", i), Source: "roundtrip", Type: typ, Time: base.Add(time.Duration(i) * time.Minute),
			Subject: fmt.Sprintf("subj-%d", i), Service: "checkout", Repo: "acme/checkout", Environment: "production",
			Team: "payments", Product: "shop", Outcome: "success", Priority: "P2",
			Commits: []string{"9f1c2e0", "77ab310"}, Automated: i%2 == 0,
			Links:      map[string]string{"deployment": "d1", "incident": "INC1", "change_request": "CHG1", "work_item": "W-1", "change": "PR-7"},
			Attributes: map[string]string{"pipeline": "deploy-prod", "ünïcode": "✓ 'quoted' \"double\" \\ back"},
		}
		switch typ {
		case ingest.TypeChangeRequestCreated:
			e.Kind = "emergency"
		case ingest.TypeWorkItemCreated:
			e.Kind = "debt"
		case ingest.TypeDeploymentFinished:
			e.Kind = "rollback"
		case ingest.TypeChangeCommitted:
			e.Subject = "0123456789abcdef0123456789abcdef01234567"
		}
		sent = append(sent, e)
	}
	body, _ := json.Marshal(sent)
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ts := newTestServer(t, eng.Store, tsOptions{})
			r := do(t, "POST", ts.URL+"/api/v1/events", body, map[string]string{"Content-Type": "application/json"})
			if r.Status != 200 || !strings.Contains(string(r.Body), fmt.Sprintf(`"accepted":%d`, len(sent))) {
				t.Fatalf("post: %d %s", r.Status, r.Body)
			}
			got := do(t, "GET", ts.URL+"/api/v1/events?source=roundtrip&limit=1000", nil, nil)
			var out struct{ Events []ingest.Event }
			if err := json.Unmarshal(got.Body, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Events) != len(sent) {
				t.Fatalf("got %d events, want %d", len(out.Events), len(sent))
			}
			byID := map[string]ingest.Event{}
			for _, e := range out.Events {
				byID[e.ID] = e
			}
			for _, w := range sent {
				w.Normalize()
				g := byID[w.ID]
				if !reflect.DeepEqual(g, w) {
					t.Errorf("round trip of %s:\n got %+v\nwant %+v", w.Type, g, w)
				}
			}
			// Newest first.
			for i := 1; i < len(out.Events); i++ {
				if out.Events[i].Time.After(out.Events[i-1].Time) {
					t.Fatalf("events not newest first at %d", i)
				}
			}
			// Filters.
			one := do(t, "GET", ts.URL+"/api/v1/events?type=incident.opened&subject="+url.QueryEscape(byTypeSubject(sent, "incident.opened")), nil, nil)
			if n := strings.Count(string(one.Body), `"id"`); n != 1 {
				t.Fatalf("type+subject filter gave %d events: %s", n, one.Body)
			}
			win := do(t, "GET", ts.URL+"/api/v1/events?from=2026-11-20T08:05:00Z&to=2026-11-20T08:07:00Z", nil, nil)
			if n := strings.Count(string(win.Body), `"id"`); n != 2 {
				t.Fatalf("time filter gave %d events, want 2: %s", n, win.Body)
			}
		})
	}
}

func byTypeSubject(evs []ingest.Event, typ string) string {
	for _, e := range evs {
		if e.Type == typ {
			return e.Subject
		}
	}
	return ""
}

func TestReadAPIBadParameters(t *testing.T) {
	ts := newTestServer(t, chtest.NewStore(t, chtest.Embedded(t)), tsOptions{})
	for _, tc := range []struct{ query, want string }{
		{"limit=0", "limit must be a whole number"},
		{"limit=abc", "limit must be a whole number"},
		{"from=yesterday", "from: \"yesterday\" is not an RFC 3339 time"},
		{"from=2026-02-01&to=2026-01-01", "from must be before to"},
		{"type=nope", `type "nope" is not an event type`},
	} {
		r := do(t, "GET", ts.URL+"/api/v1/events?"+tc.query, nil, nil)
		if r.Status != 400 || !strings.Contains(unquote(r.Body), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %q", tc.query, r.Status, r.Body, tc.want)
		}
	}
}

// unquote undoes JSON's escaping of quotes so expected texts read naturally.
func unquote(b []byte) string { return strings.ReplaceAll(string(b), `\"`, `"`) }

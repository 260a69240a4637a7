package ingesttest

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
)

// fakeWebhook turns a body "<id>" into one deployment event with that id,
// "ignore" into ErrIgnored and "bad" into ErrPayload.
type fakeWebhook struct{}

func (fakeWebhook) Source() string                   { return "fake" }
func (fakeWebhook) Verify(http.Header, []byte) error { return nil }
func (fakeWebhook) DeliveryID(h http.Header) string  { return h.Get("X-Delivery") }
func (fakeWebhook) Parse(_ http.Header, body []byte) ([]ingest.Event, error) {
	switch s := strings.TrimSpace(string(body)); s {
	case "ignore":
		return nil, fmt.Errorf("%w: nothing here", ingest.ErrIgnored)
	case "bad":
		return nil, fmt.Errorf("%w: not a payload", ingest.ErrPayload)
	default:
		return []ingest.Event{{ID: s, Source: "fake", Type: ingest.TypeDeploymentFinished, Subject: s, Service: "api",
			Environment: "production", Outcome: "success", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}, nil
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenUpdateThenCompare(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.json"), "ev-1")
	write(t, filepath.Join(dir, "a.headers"), "# comment\n\nX-Delivery: d-1\n")
	write(t, filepath.Join(dir, "b.json"), "ignore")
	write(t, filepath.Join(dir, "c.json"), "bad")
	render := Results{Webhook: fakeWebhook{}}.Render
	Golden(t, dir, true, render)
	for name, want := range map[string]string{
		"a": `"delivery_id": "d-1"`,
		"b": `"ignored": "ignored: nothing here"`,
		"c": `"error": "bad payload: not a payload"`,
	} {
		b, err := os.ReadFile(filepath.Join(dir, name+".golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) || !strings.HasSuffix(string(b), "}\n") {
			t.Errorf("%s.golden.json = %s, want it to hold %s", name, b, want)
		}
	}
	if got := Payloads(t, dir); len(got) != 3 {
		t.Errorf("Payloads = %v, want the 3 payloads without golden files", got)
	}
	Golden(t, dir, false, render)
}

func TestHeadersOf(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x.headers"), "A: 1\n# B: 2\nA: 3\n C : four:five \n")
	h := HeadersOf(t, filepath.Join(dir, "x.json"))
	if got := h.Values("A"); len(got) != 2 || got[0] != "1" || got[1] != "3" {
		t.Errorf("A = %q, want [1 3]", got)
	}
	if h.Get("B") != "" || h.Get("C") != "four:five" {
		t.Errorf("headers = %v", h)
	}
	if h := HeadersOf(t, filepath.Join(dir, "missing.json")); len(h) != 0 {
		t.Errorf("missing headers file gave %v", h)
	}
}

func TestEventsJSON(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "{\n  \"events\": null\n}\n"},
		{fmt.Errorf("%w: x", ingest.ErrIgnored), "{\n  \"ignored\": \"ignored: x\"\n}\n"},
		{errors.New("boom"), "{\n  \"error\": \"boom\"\n}\n"},
	} {
		if got := string(EventsJSON(t, nil, tc.err)); got != tc.want {
			t.Errorf("EventsJSON(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestSameIDs(t *testing.T) {
	a := []ingest.Event{{ID: "1"}, {ID: "2"}}
	for _, tc := range []struct {
		b    []ingest.Event
		want bool
	}{
		{[]ingest.Event{{ID: "1"}, {ID: "2"}}, true},
		{[]ingest.Event{{ID: "2"}, {ID: "1"}}, false},
		{[]ingest.Event{{ID: "1"}}, false},
	} {
		if got := SameIDs(a, tc.b); got != tc.want {
			t.Errorf("SameIDs(%v) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

func TestSmallSeed(t *testing.T) {
	in := `{"repository":{"full_name":"a/b","html_url":"u","owner":{"login":"x"}},"commits":[1,2,3,4,5],"sender":{}}`
	want := `{"commits":[1,2,3],"repository":{"full_name":"a/b"}}`
	if got := string(SmallSeed([]byte(in))); got != want {
		t.Errorf("SmallSeed = %s, want %s", got, want)
	}
	if got := string(SmallSeed([]byte("not json"))); got != "not json" {
		t.Errorf("SmallSeed of a non-JSON body = %q, want it unchanged", got)
	}
}

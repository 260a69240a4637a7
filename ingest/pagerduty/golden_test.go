package pagerduty

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const dir = "../../testdata/webhooks/pagerduty"

func newWebhook(tb testing.TB, o Options) *Webhook {
	tb.Helper()
	w, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// goldenOf renders Parse's result as the golden file's text.
func goldenOf(tb testing.TB, evs []ingest.Event, err error) []byte {
	tb.Helper()
	var v any = map[string]any{"events": evs}
	switch {
	case errors.Is(err, ingest.ErrIgnored):
		v = map[string]string{"ignored": err.Error()}
	case err != nil:
		v = map[string]string{"error": err.Error()}
	}
	b, mErr := json.MarshalIndent(v, "", "  ")
	if mErr != nil {
		tb.Fatal(mErr)
	}
	return append(b, '\n')
}

func payloads(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no payloads in %s", dir)
	}
	return out
}

func TestGolden(t *testing.T) {
	w := newWebhook(t, testOptions())
	for _, f := range payloads(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := w.Parse(http.Header{}, body)
			if err != nil && !errors.Is(err, ingest.ErrIgnored) {
				t.Fatalf("Parse: %v", err)
			}
			got := goldenOf(t, evs, err)
			// Re-delivery must give the same events, ids included.
			again, err2 := w.Parse(http.Header{}, body)
			if !bytes.Equal(got, goldenOf(t, again, err2)) {
				t.Fatal("a second Parse of the same body gave different events")
			}
			gf := strings.TrimSuffix(f, ".json") + ".golden.json"
			if *update {
				if err := os.WriteFile(gf, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run go test ./ingest/pagerduty/ -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from Parse's output:\n%s", gf, got)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range payloads(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	w := newWebhook(f, testOptions())
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := w.Parse(nil, body)
		if err != nil {
			if !errors.Is(err, ingest.ErrPayload) && !errors.Is(err, ingest.ErrIgnored) {
				t.Fatalf("error wraps neither ErrPayload nor ErrIgnored: %v", err)
			}
			return
		}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event %+v: %v", e, err)
			}
		}
	})
}

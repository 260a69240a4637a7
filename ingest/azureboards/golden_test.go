package azureboards

import (
	"flag"
	"testing"

	"github.com/throughline/throughline/ingest/ingesttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const dir = "../../testdata/webhooks/azureboards"

func newWebhook(tb testing.TB, o Options) *Webhook {
	tb.Helper()
	w, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func TestGolden(t *testing.T) {
	ingesttest.Golden(t, dir, *update, ingesttest.Events(newWebhook(t, testOptions()).Parse))
}

func FuzzParse(f *testing.F) {
	ingesttest.Fuzz(f, dir, newWebhook(f, testOptions()).Parse)
}

package argocd

import (
	"flag"
	"testing"

	"github.com/throughline/throughline/ingest/ingesttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/webhooks/argocd")

const testdataDir = "../../testdata/webhooks/argocd"

func TestGolden(t *testing.T) {
	w, err := New(goldenOptions)
	if err != nil {
		t.Fatal(err)
	}
	ingesttest.Golden(t, testdataDir, *update, ingesttest.Results{Webhook: w}.Render)
}

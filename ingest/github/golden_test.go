package github

import (
	"flag"
	"testing"

	"github.com/throughline/throughline/ingest/ingesttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/webhooks/github")

const testdataDir = "../../testdata/webhooks/github"

// goldenOptions are the options every golden file is produced with: the
// defaults plus one deploy workflow pattern.
var goldenOptions = Options{DeployWorkflows: []string{"deploy*"}}

func TestGolden(t *testing.T) {
	w, err := New(goldenOptions)
	if err != nil {
		t.Fatal(err)
	}
	ingesttest.Golden(t, testdataDir, *update, ingesttest.Results{Webhook: w}.Render)
}

package reports

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/demo"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
	"github.com/throughline/throughline/queries/chtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/reports")

func TestMain(m *testing.M) { chtest.Main(m) }

// The demo organisation the golden reports are written from: half the
// default organisation (ten services, all eight teams) over 120 days
// ending on Monday 2 March 2026, so that a weekly report has twelve
// weeks of trend behind it.
var demoEnd = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func demoOptions() demo.Options {
	return demo.Options{End: demoEnd, Seed: 1, Scale: 0.5, Days: 120}
}

// demoEvents generates the demo events once per process.
var demoEvents = sync.OnceValues(func() ([]ingest.Event, error) {
	var all []ingest.Event
	err := demo.Generate(demoOptions(), func(es []ingest.Event) error {
		all = append(all, es...)
		return nil
	})
	return all, err
})

// loadDemo fills st with the demo events.
func loadDemo(tb testing.TB, st *queries.Store) {
	tb.Helper()
	evs, err := demoEvents()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	es := eventstore.New(st)
	for i := 0; i < len(evs); i += 20000 {
		if err := es.Load(ctx, evs[i:min(i+20000, len(evs))]); err != nil {
			tb.Fatalf("load demo events on %s: %v", st.Engine().Kind(), err)
		}
	}
}

func demoCatalog() *metrics.Catalog {
	c := demo.Catalog(demoOptions())
	return &c
}

func newComputer(tb testing.TB, st *queries.Store) *metrics.Computer {
	tb.Helper()
	c, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: demoCatalog()})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// fixedNow is when the golden reports say they were generated.
var fixedNow = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

func newBuilder(tb testing.TB, st *queries.Store) *Builder {
	tb.Helper()
	b, err := NewBuilder(BuilderOptions{Store: st, Computer: newComputer(tb, st), Now: func() time.Time { return fixedNow }})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// artefactDir is where tests leave renderings to look at (git-ignored).
func artefactDir(tb testing.TB) string {
	tb.Helper()
	d := filepath.Join("..", "testdata", "reports", "artefacts")
	if err := os.MkdirAll(d, 0o755); err != nil {
		tb.Fatal(err)
	}
	return d
}

var (
	aptMu      sync.Mutex
	aptUpdated bool
)

// needTool returns the path of a command, installing its Debian packages
// when it is missing (the tests run on a fresh CI machine as root). A tool
// that cannot be had fails the test: it does not skip.
func needTool(tb testing.TB, command string, pkgs ...string) string {
	tb.Helper()
	for _, c := range []string{command, "/usr/bin/" + command} {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	aptMu.Lock()
	defer aptMu.Unlock()
	if p, err := exec.LookPath(command); err == nil {
		return p
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		tb.Fatalf("%s is missing and cannot be installed here (needs root and apt-get): install Debian's %v", command, pkgs)
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if !aptUpdated {
		cmd := exec.Command("apt-get", "update", "-qq")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("apt-get update: %v\n%s", err, out)
		}
		aptUpdated = true
	}
	tb.Logf("installing %s (Debian %v)", command, pkgs)
	cmd := exec.Command("apt-get", append([]string{"install", "-y", "-qq", "--no-install-recommends"}, pkgs...)...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("apt-get install %v: %v\n%s", pkgs, err, out)
	}
	p, err := exec.LookPath(command)
	if err != nil {
		tb.Fatalf("%s still missing after installing %v", command, pkgs)
	}
	return p
}

// needChromium installs Debian's chromium, with fonts for its text.
func needChromium(tb testing.TB) *Chromium {
	tb.Helper()
	return &Chromium{Path: needTool(tb, "chromium", "chromium", "fonts-liberation", "fonts-dejavu-core")}
}

func ptr[T any](v T) *T { return &v }

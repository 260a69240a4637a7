package metrics_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// fixture is one golden measure case: events, a query, and the measures
// worked out by hand (the arithmetic is in the file's comments).
type fixture struct {
	Description string           `yaml:"description"`
	Catalog     metrics.Catalog  `yaml:"catalog"`
	Queries     []fixtureQuery   `yaml:"queries"`
	Events      []map[string]any `yaml:"events"`
}

type fixtureQuery struct {
	From        string         `yaml:"from"`
	To          string         `yaml:"to"`
	GroupBy     string         `yaml:"group_by"`
	Service     string         `yaml:"service"`
	Team        string         `yaml:"team"`
	Product     string         `yaml:"product"`
	Portfolio   string         `yaml:"portfolio"`
	Environment string         `yaml:"environment"`
	Expect      []fixtureGroup `yaml:"expect"`
}

type fixtureGroup struct {
	Key      string              `yaml:"key"`
	Measures map[string]*float64 `yaml:"measures"`
	Tiers    map[string]string   `yaml:"tiers"`
}

func loadFixture(t *testing.T, path string) fixture {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func fixtureEvents(t *testing.T, f fixture) []ingest.Event {
	t.Helper()
	var out []ingest.Event
	for i, m := range f.Events {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ingest.DecodeEvent(b)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGoldenMeasures runs every fixture under testdata/measures on both
// engines; each must give the hand-computed answer to the second.
func TestGoldenMeasures(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/measures/*.yaml")
	if len(paths) < 10 {
		t.Fatalf("want at least 10 measure fixtures, found %d", len(paths))
	}
	engines := chtest.Engines(t)
	for _, path := range paths {
		f := loadFixture(t, path)
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			evs := fixtureEvents(t, f)
			for _, eng := range engines {
				t.Run(eng.Name, func(t *testing.T) {
					st := chtest.NewStore(t, eng.Store.Engine())
					if err := eventstore.New(st).Load(context.Background(), evs); err != nil {
						t.Fatal(err)
					}
					// Loading twice must change nothing: (source, id) is one event.
					if err := eventstore.New(st).Load(context.Background(), evs); err != nil {
						t.Fatal(err)
					}
					cat := f.Catalog
					if err := cat.Validate(); err != nil {
						t.Fatal(err)
					}
					c, err := metrics.NewComputer(metrics.Options{Store: st, Catalog: &cat})
					if err != nil {
						t.Fatal(err)
					}
					for qi, fq := range f.Queries {
						q := metrics.Query{
							From: mustTime(t, fq.From), To: mustTime(t, fq.To), GroupBy: fq.GroupBy,
							Service: fq.Service, Team: fq.Team, Product: fq.Product,
							Portfolio: fq.Portfolio, Environment: fq.Environment,
						}
						rep, err := c.Compute(context.Background(), q)
						if err != nil {
							t.Fatalf("query %d: %v", qi, err)
						}
						checkReport(t, qi, rep, fq.Expect)
					}
				})
			}
		})
	}
}

func checkReport(t *testing.T, qi int, rep *metrics.Report, want []fixtureGroup) {
	t.Helper()
	var gotKeys, wantKeys []string
	for _, g := range rep.Groups {
		gotKeys = append(gotKeys, g.Key)
	}
	for _, g := range want {
		wantKeys = append(wantKeys, g.Key)
	}
	sort.Strings(wantKeys)
	if strings.Join(gotKeys, ",") != strings.Join(wantKeys, ",") {
		t.Fatalf("query %d: groups %q, want %q", qi, gotKeys, wantKeys)
	}
	for i, wg := range sortGroups(want) {
		gg := rep.Groups[i]
		for _, d := range metrics.Definitions {
			got := gg.Measures[d.Name]
			w, listed := wg.Measures[d.Name]
			if !listed {
				// Unlisted: null, or 0 for counts and per-day rates.
				if d.Unit == "count" || d.Unit == "per_day" {
					w = ptr(0)
				} else {
					w = nil
				}
			}
			if !sameValue(got, w) {
				t.Errorf("query %d group %q: %s = %s, want %s", qi, gg.Key, d.Name, show(got), show(w))
			}
		}
		for m, wt := range wg.Tiers {
			gt := gg.Tiers[m]
			if gt == nil || *gt != wt {
				t.Errorf("query %d group %q: tier of %s = %v, want %s", qi, gg.Key, m, gt, wt)
			}
		}
	}
}

func sortGroups(g []fixtureGroup) []fixtureGroup {
	out := append([]fixtureGroup(nil), g...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func ptr(v float64) *float64 { return &v }

// sameValue compares to 1e-9 relative: durations agree to the second, and
// ratios are exact fractions computed in float64.
func sameValue(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
}

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(*v)
	return string(b)
}

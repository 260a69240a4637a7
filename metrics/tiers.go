package metrics

import (
	"embed"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

//go:embed tiers/*.yaml
var tierFS embed.FS

// Bound is one row of a tier table: values meeting Op Value get Tier.
type Bound struct {
	Tier  string  `yaml:"tier"`
	Op    string  `yaml:"op"`
	Value float64 `yaml:"value"`
}

// TierTable maps measure names to their bounds, best tier first. Values
// meeting no bound are "low".
type TierTable struct {
	Year     int                `yaml:"year"`
	Measures map[string][]Bound `yaml:"measures"`
}

// LoadTierTable reads the embedded table of a report year (2023).
func LoadTierTable(year int) (*TierTable, error) {
	b, err := tierFS.ReadFile(fmt.Sprintf("tiers/dora-%d.yaml", year))
	if err != nil {
		return nil, fmt.Errorf("no DORA tier table for %d", year)
	}
	var t TierTable
	if err := yaml.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("tier table %d: %w", year, err)
	}
	for m, bounds := range t.Measures {
		for i, b := range bounds {
			switch b.Op {
			case "<", "<=", ">", ">=":
			default:
				return nil, fmt.Errorf("tier table %d: %s[%d]: bad op %q", year, m, i, b.Op)
			}
		}
	}
	return &t, nil
}

// Tier returns the tier of value v for measure m, or "" when the table
// has no tiers for m.
func (t *TierTable) Tier(m string, v float64) string {
	bounds, ok := t.Measures[m]
	if !ok {
		return ""
	}
	for _, b := range bounds {
		var meets bool
		switch b.Op {
		case "<":
			meets = v < b.Value
		case "<=":
			meets = v <= b.Value
		case ">":
			meets = v > b.Value
		case ">=":
			meets = v >= b.Value
		}
		if meets {
			return b.Tier
		}
	}
	return "low"
}

// TieredMeasures lists the measures that have tiers, sorted.
func (t *TierTable) TieredMeasures() []string {
	out := make([]string, 0, len(t.Measures))
	for m := range t.Measures {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

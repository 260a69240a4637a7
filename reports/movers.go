package reports

import (
	"math"
	"sort"

	"github.com/throughline/throughline/metrics"
)

// Movers are the biggest improvements and regressions across the scope's
// children (teams, or services for a team) against the previous period.
type Movers struct {
	By           string `json:"by"` // team or service
	Improvements []Move `json:"improvements"`
	Regressions  []Move `json:"regressions"`
}

// Move is one child's measure that moved.
type Move struct {
	Group           string  `json:"group"`
	Measure         string  `json:"measure"`
	Title           string  `json:"title"`
	Unit            string  `json:"unit"`
	Value           float64 `json:"value"`
	Previous        float64 `json:"previous"`
	Display         string  `json:"display"`
	PreviousDisplay string  `json:"previous_display"`
	Change          string  `json:"change"`
	// Score is the relative move in the better direction: positive is an
	// improvement. Ranks the moves.
	Score float64 `json:"score"`
}

// moversShown per list.
const moversShown = 5

// Thresholds below which a move is noise, not news.
const (
	minScore      = 0.10 // 10% relative
	minRatioDelta = 0.02 // 2 percentage points for ratios
)

// floors keep a small previous value from making a huge relative move:
// the change is divided by at least this much.
var floors = map[string]float64{
	"ratio":   0.05,
	"count":   1,
	"per_day": 1.0 / 7, // once a week
	"seconds": 3600,
}

func movers(s Scope, cur, prev *metrics.Report, tiers *metrics.TierTable) Movers {
	m := Movers{By: s.children(), Improvements: []Move{}, Regressions: []Move{}}
	if cur == nil || prev == nil {
		return m
	}
	before := map[string]metrics.Group{}
	for _, g := range prev.Groups {
		before[g.Key] = g
	}
	var all []Move
	for _, g := range cur.Groups {
		p, ok := before[g.Key]
		if !ok || g.Key == "" {
			continue
		}
		for _, d := range metrics.Definitions {
			dir := direction(d, tiers)
			v, pv := g.Measures[d.Name], p.Measures[d.Name]
			if dir == 0 || v == nil || pv == nil {
				continue
			}
			delta := *v - *pv
			if d.Unit == "ratio" && math.Abs(delta) < minRatioDelta {
				continue
			}
			floor, ok := floors[d.Unit]
			if !ok {
				floor = 1e-9
			}
			score := float64(dir) * delta / math.Max(math.Abs(*pv), floor)
			if math.Abs(score) < minScore {
				continue
			}
			all = append(all, Move{
				Group: g.Key, Measure: d.Name, Title: title(d), Unit: d.Unit,
				Value: *v, Previous: *pv, Display: format(d.Unit, v), PreviousDisplay: format(d.Unit, pv),
				Change: change(d.Unit, v, pv), Score: math.Round(score*1e4) / 1e4,
			})
		}
	}
	rank := func(moves []Move, better bool) {
		sort.SliceStable(moves, func(i, j int) bool {
			a, b := moves[i], moves[j]
			if a.Score != b.Score {
				return (a.Score > b.Score) == better
			}
			if a.Group != b.Group {
				return a.Group < b.Group
			}
			return a.Measure < b.Measure
		})
	}
	var up, down []Move
	for _, mv := range all {
		if mv.Score > 0 {
			up = append(up, mv)
		} else {
			down = append(down, mv)
		}
	}
	rank(up, true)
	rank(down, false)
	m.Improvements = append(m.Improvements, up[:min(len(up), moversShown)]...)
	m.Regressions = append(m.Regressions, down[:min(len(down), moversShown)]...)
	return m
}

package demo

import (
	"time"
)

// Regression is one deterioration injected into the generated data, so that
// backtests can score detection: which scope, which measure (a MEASURES.md
// name), and when it starts.
type Regression struct {
	Scope       string // "team" or "service"
	Service     string // set when Scope is "service"
	Team        string // the team, or the service's team
	Measure     string
	Start       time.Time
	Description string
}

// injection is a regression of the default organisation. Each copy of the
// organisation (Scale > 1) gets it too, starting a week earlier per copy
// (cycling over four weeks) so that detectors see several onsets.
type injection struct {
	scope, base string // base: the profile name (team scope) or base service name
	measure     string
	before      time.Duration // Start = End − before − replica%4 weeks
	description string
}

const day = 24 * time.Hour

// The regressions' sizes, used by effects and documented in doc.go.
const (
	cfrPeak     = 0.35 // change failure rate reached at End
	slowStep    = 2.5  // resolution time multiplier from the start of the slowdown
	slowPeak    = 5.0  // resolution time multiplier reached at End
	freezeGaps  = 4.0  // release gaps multiplier during the freeze
	surgeFactor = 6.0  // incident rate multiplier during the surge
)

// injections is the catalogue of injected regressions. Read-only.
var injections = []injection{
	{scope: "team", base: "conversion", measure: "change_failure_rate", before: 56 * day,
		description: "change failure rate ramps linearly from 6% to 35% at End (more incidents linked to deployments, more failed deployments)"},
	{scope: "team", base: "treasury", measure: "mttr_seconds", before: 42 * day,
		description: "incident resolution and failed-deployment recovery slow down: 2.5x at Start (on-call rota change), rising linearly to 5x at End"},
	{scope: "team", base: "data-eng", measure: "deployment_frequency_per_day", before: 28 * day,
		description: "release freeze: gaps between releases 4x longer, so deployment frequency falls and lead time rises"},
	{scope: "service", base: "search", measure: "incidents_opened", before: 21 * day,
		description: "incident volume of the service steps up 6x (a flaky dependency)"},
}

// effects holds the onsets of the regressions that apply to one team or
// service; a zero time means none.
type effects struct {
	cfr, slow, freeze, surge time.Time
	end                      time.Time
}

func onset(o Options, in injection, replica int) (time.Time, bool) {
	s := o.End.Add(-in.before - time.Duration(replica%4)*7*day)
	// A regression needs a baseline: one that would start before the window
	// is not injected at all, and not reported.
	return s, s.After(o.start())
}

func teamEffects(o Options, t *team) effects {
	e := effects{end: o.End}
	for _, in := range injections {
		if in.scope != "team" || in.base != t.profile.name {
			continue
		}
		s, ok := onset(o, in, t.replica)
		if !ok {
			continue
		}
		switch in.measure {
		case "change_failure_rate":
			e.cfr = s
		case "mttr_seconds":
			e.slow = s
		case "deployment_frequency_per_day":
			e.freeze = s
		}
	}
	return e
}

func serviceEffects(o Options, u *unit) effects {
	e := effects{end: o.End}
	for _, in := range injections {
		if in.scope != "service" || in.base != baseServices[u.base].name {
			continue
		}
		if s, ok := onset(o, in, u.team.replica); ok {
			e.surge = s
		}
	}
	return e
}

// ramp is 0 before from (or when from is zero), rising linearly to 1 at end.
func (e effects) ramp(from, t time.Time) float64 {
	if from.IsZero() || t.Before(from) {
		return 0
	}
	return min(1, float64(t.Sub(from))/float64(e.end.Sub(from)))
}

// Regressions lists the regressions Generate(o) injects, in the
// organisation's order (teams, then services). Pass the same End to both.
func Regressions(o Options) []Regression {
	if o.Validate() != nil {
		o.Scale = 0
	}
	o = o.withDefaults()
	g := newOrg(o)
	var out []Regression
	for _, t := range g.teams {
		for _, in := range injections {
			if in.scope != "team" || in.base != t.profile.name {
				continue
			}
			if s, ok := onset(o, in, t.replica); ok {
				out = append(out, Regression{Scope: "team", Team: t.name, Measure: in.measure, Start: s, Description: in.description})
			}
		}
	}
	for _, u := range g.services {
		for _, in := range injections {
			if in.scope != "service" || in.base != baseServices[u.base].name {
				continue
			}
			if s, ok := onset(o, in, u.team.replica); ok {
				out = append(out, Regression{Scope: "service", Service: u.name, Team: u.team.name, Measure: in.measure, Start: s, Description: in.description})
			}
		}
	}
	return out
}

package demo

import (
	"time"

	"github.com/throughline/throughline/ingest"
)

// incident is one incident's lifecycle; a zero resolved leaves it open.
type incident struct {
	id               string
	opened, resolved time.Time
	priority, group  string
	deployment       string // the deployment that caused it, when known
	automated        bool   // resolved by automation (self-healing)
}

// Median times to acknowledge and to resolve, by priority.
var (
	ackMedian     = map[string]time.Duration{"P1": 4 * time.Minute, "P2": 12 * time.Minute, "P3": 45 * time.Minute, "P4": 3 * time.Hour}
	resolveMedian = map[string]time.Duration{"P1": 2 * time.Hour, "P2": 6 * time.Hour, "P3": 18 * time.Hour, "P4": 50 * time.Hour}
)

// incidents opens the day's incidents that no deployment is known to have
// caused: fewer at weekends, most in working hours.
func (s *service) incidents(g *generator, sp span) {
	p, r := s.team.profile, s.rng
	rate := p.incidents
	if !workday(sp.lo) {
		rate *= 0.4
	}
	if f := s.effects.surge; !f.IsZero() && !sp.lo.Before(f) {
		rate *= surgeFactor
	}
	for range poisson(r, rate) {
		from, to := workStart, workEnd
		if r.Float64() < 0.4 {
			from, to = 0, day
		}
		opened, ok := sp.draw(r, from, to)
		if !ok {
			continue
		}
		inc := incident{id: g.nextIncident(p.incidentSource), opened: opened,
			priority: []string{"P1", "P2", "P3", "P4"}[pick(r, 0.03, 0.12, 0.45, 0.40)], group: s.group()}
		if r.Float64() < p.selfHeal {
			inc.automated, inc.resolved = true, opened.Add(uniform(r, 2*time.Minute, 30*time.Minute))
		} else {
			median := float64(resolveMedian[inc.priority]) * p.recovery * s.slow(opened)
			inc.resolved = opened.Add(lognormal(r, time.Duration(median), 0.9))
		}
		s.incident(g, inc)
	}
}

// group is the assignment group of a new incident: mostly the team's own.
func (s *service) group() string {
	if s.rng.Float64() < 0.6 {
		return s.team.group
	}
	return assignmentGroups[s.rng.IntN(len(assignmentGroups))].group
}

// incident emits inc's lifecycle: opened, acknowledged (unless automation
// resolved it first), resolved, and for a few a reopening and a second
// resolution.
func (s *service) incident(g *generator, inc incident) {
	r := s.rng
	src, prod := s.team.incidentSource, "production"
	opened := ingest.Event{ID: inc.id + "-opened", Source: src, Type: ingest.TypeIncidentOpened, Time: inc.opened,
		Subject: inc.id, Service: s.name, Environment: prod, Priority: inc.priority,
		Attributes: map[string]string{"assignment_group": inc.group}}
	if inc.deployment != "" {
		opened.Links = map[string]string{"deployment": inc.deployment}
	}
	g.add(opened)
	if !inc.automated {
		ack := inc.opened.Add(lognormal(r, ackMedian[inc.priority], 0.7))
		if !inc.resolved.IsZero() && !ack.Before(inc.resolved) {
			ack = inc.opened.Add(inc.resolved.Sub(inc.opened) / 3).Truncate(time.Second)
		}
		g.add(ingest.Event{ID: inc.id + "-acknowledged", Source: src, Type: ingest.TypeIncidentAcknowledged, Time: ack,
			Subject: inc.id, Service: s.name, Environment: prod})
	}
	if inc.resolved.IsZero() {
		return
	}
	g.add(ingest.Event{ID: inc.id + "-resolved", Source: src, Type: ingest.TypeIncidentResolved, Time: inc.resolved,
		Subject: inc.id, Service: s.name, Environment: prod, Automated: inc.automated})
	if inc.automated || r.Float64() >= 0.05 {
		return
	}
	reopened := inc.resolved.Add(lognormal(r, 4*time.Hour, 0.8))
	g.add(ingest.Event{ID: inc.id + "-reopened", Source: src, Type: ingest.TypeIncidentReopened, Time: reopened,
		Subject: inc.id, Service: s.name, Environment: prod})
	g.add(ingest.Event{ID: inc.id + "-resolved-2", Source: src, Type: ingest.TypeIncidentResolved,
		Time: reopened.Add(lognormal(r, resolveMedian[inc.priority]/2, 0.8)), Subject: inc.id, Service: s.name, Environment: prod})
}

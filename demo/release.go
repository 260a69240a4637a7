package demo

import (
	"slices"
	"strconv"
	"time"

	"github.com/throughline/throughline/ingest"
)

// deployments runs the plan entries due in the span, in time order.
func (s *service) deployments(g *generator, sp span) {
	for len(s.plan) > 0 && s.plan[0].at.Before(sp.hi) {
		p := s.plan[0]
		s.plan = s.plan[1:]
		switch p.kind {
		case planRelease:
			s.release(g, p.at)
		case planRemedy:
			s.running = p.running
		case planOutage:
			s.outage(g, p.at)
		}
	}
}

// gap is the working time from one release to the next slot.
func (s *service) gap(g *generator, t time.Time) time.Duration {
	p, r := s.team.profile, s.rng
	mean := interpolate(p.deployEvery, p.deployEnd, g.frac(t))
	if f := s.team.effects.freeze; !f.IsZero() && !t.Before(f) {
		mean = time.Duration(float64(mean) * freezeGaps)
	}
	if p.cadence {
		return secs(mean.Seconds() * (0.8 + 0.4*r.Float64()))
	}
	return secs(mean.Seconds() * max(0.05, r.ExpFloat64()))
}

func (s *service) cfr(t time.Time) float64 {
	e := s.team.effects
	return s.team.cfr + (cfrPeak-s.team.cfr)*e.ramp(e.cfr, t)
}

// slow multiplies recovery times (the treasury regression).
func (s *service) slow(t time.Time) float64 {
	e := s.team.effects
	if e.slow.IsZero() || t.Before(e.slow) {
		return 1
	}
	return slowStep + (slowPeak-slowStep)*e.ramp(e.slow, t)
}

func (s *service) nextRelease(g *generator, after time.Time) {
	s.schedule(planned{at: addWork(after, s.gap(g, after)), kind: planRelease})
}

// release ships the commits merged so far: staging, then (after a soak and,
// for some teams, an approved change request) production. Some production
// deployments fail, outright or through an incident they cause.
func (s *service) release(g *generator, at time.Time) {
	p, r := s.team.profile, s.rng
	// A rollback or hotfix already planned goes first, so that what
	// production runs stays coherent.
	if len(s.plan) > 0 && s.plan[0].kind != planRelease && s.plan[0].at.Before(at.Add(p.soak+2*time.Hour)) {
		s.schedule(planned{at: toWork(s.plan[0].at.Add(30 * time.Minute)), kind: planRelease})
		return
	}
	commits := s.take(at)
	if len(commits) == 0 {
		s.nextRelease(g, at)
		return
	}
	outcome := "success"
	if r.Float64() < 0.03 {
		outcome = "failure"
	}
	g.add(s.deployment(g.nextDeployment(), at, "staging", outcome, slices.Clone(commits)))
	if outcome == "failure" {
		for _, c := range commits {
			s.merged = append(s.merged, mergedCommit{sha: c, at: at})
		}
		s.schedule(planned{at: addWork(at, uniform(r, time.Hour, 3*time.Hour)), kind: planRelease})
		return
	}

	prod := at.Add(secs(p.soak.Seconds() * (0.7 + 0.8*r.Float64())))
	var change string
	if r.Float64() < p.crShare {
		var approved time.Time
		change, approved = s.changeRequest(g, at.Add(uniform(r, time.Minute, 10*time.Minute)))
		prod = later(prod, approved.Add(uniform(r, 5*time.Minute, 30*time.Minute)))
	}
	bad := r.Float64() < s.cfr(prod)
	outright := bad && r.Float64() < p.failOutright
	outcome = "success"
	if outright {
		outcome = "failure"
	}
	id := g.nextDeployment()
	d := s.deployment(id, prod, "production", outcome, commits)
	if change != "" {
		d.Links = map[string]string{"change_request": change}
		g.add(ingest.Event{ID: change + "-closed", Source: "servicenow", Type: ingest.TypeChangeRequestClosed,
			Time: prod.Add(uniform(r, 10*time.Minute, time.Hour)), Subject: change, Service: s.name, Outcome: outcome,
			Links: map[string]string{"deployment": id}})
	}
	g.add(d)

	previous := s.running
	switch {
	case outright:
		// The commits go out again with the next release; production is
		// rolled back to what it ran, when there is something to roll back to.
		for _, c := range commits {
			s.merged = append(s.merged, mergedCommit{sha: c, at: at})
		}
		if len(previous) > 0 {
			back := prod.Add(lognormal(r, time.Duration(float64(p.mitigate)*s.slow(prod)), 0.6))
			rb := s.deployment(g.nextDeployment(), back, "production", "success", slices.Clone(previous))
			rb.Kind = "rollback"
			g.add(rb)
			s.schedule(planned{at: back, kind: planRemedy, running: previous})
		}
	case bad:
		s.running = commits
		s.causeIncident(g, failure{deployment: id, at: prod, previous: previous})
	default:
		s.running = commits
	}
	s.nextRelease(g, prod)
}

// changeRequest raises a ServiceNow change for a production release and
// returns its number and approval time: standard changes are approved by
// policy within a minute, normal ones by people in working time.
func (s *service) changeRequest(g *generator, created time.Time) (string, time.Time) {
	p, r := s.team.profile, s.rng
	id := g.nextChange()
	kind, automated := "normal", false
	approved := addWork(created, lognormal(r, p.approval, 0.8))
	if r.Float64() < p.standard {
		kind, automated = "standard", true
		approved = created.Add(uniform(r, 5*time.Second, time.Minute))
	}
	g.add(ingest.Event{ID: id + "-created", Source: "servicenow", Type: ingest.TypeChangeRequestCreated, Time: created,
		Subject: id, Service: s.name, Kind: kind, Attributes: map[string]string{"assignment_group": s.team.group}})
	g.add(ingest.Event{ID: id + "-approved", Source: "servicenow", Type: ingest.TypeChangeRequestApproved, Time: approved,
		Subject: id, Service: s.name, Automated: automated})
	return id, approved
}

func (s *service) deployment(id string, at time.Time, env, outcome string, commits []string) ingest.Event {
	return ingest.Event{ID: "deploy-" + id, Source: "argocd", Type: ingest.TypeDeploymentFinished, Time: at,
		Subject: id, Service: s.name, Environment: env, Outcome: outcome, Commits: commits}
}

// failure is a successful production deployment that causes an incident.
type failure struct {
	deployment string
	at         time.Time
	previous   []string // what production ran before it
}

// causeIncident opens the incident a bad deployment causes, linked to it,
// and remediates it: a rollback when there is something to roll back to,
// else (and sometimes anyway) a hotfix under an emergency change.
func (s *service) causeIncident(g *generator, f failure) {
	p, r := s.team.profile, s.rng
	inc := incident{
		id:         g.nextIncident(p.incidentSource),
		opened:     f.at.Add(lognormal(r, 40*time.Minute, 0.8)),
		priority:   []string{"P1", "P2", "P3"}[pick(r, 0.25, 0.5, 0.25)],
		group:      s.group(),
		deployment: f.deployment,
	}
	fix := inc.opened.Add(max(4*time.Minute, lognormal(r, time.Duration(float64(p.mitigate)*s.slow(inc.opened)), 0.6)))
	if len(f.previous) > 0 && r.Float64() < 0.6 {
		rb := s.deployment(g.nextDeployment(), fix, "production", "success", slices.Clone(f.previous))
		rb.Kind, rb.Links = "rollback", map[string]string{"incident": inc.id}
		g.add(rb)
		s.schedule(planned{at: fix, kind: planRemedy, running: f.previous})
	} else {
		s.schedule(planned{at: fix, kind: planRemedy, running: []string{s.hotfix(g, inc, fix)}})
	}
	inc.resolved = fix.Add(lognormal(r, time.Duration(20*float64(time.Minute)*s.slow(inc.opened)), 0.5))
	s.incident(g, inc)
}

// hotfix commits, merges and deploys a fix for inc at fix, under an
// emergency change, and returns the fix's commit.
func (s *service) hotfix(g *generator, inc incident, fix time.Time) string {
	r := s.rng
	window := fix.Sub(inc.opened)
	s.prs++
	pr := &pullRequest{id: s.repo + "#" + strconv.Itoa(s.prs), hotfix: true}
	committed := inc.opened.Add(window / 2).Truncate(time.Second)
	sha := s.commit(g, committed, pr)
	pr.commits = []string{sha}
	pr.merged = committed.Add(fix.Sub(committed) / 3).Truncate(time.Second)
	s.merge(g, pr)

	change := g.nextChange()
	created := inc.opened.Add(window / 4).Truncate(time.Second)
	g.add(ingest.Event{ID: change + "-created", Source: "servicenow", Type: ingest.TypeChangeRequestCreated, Time: created,
		Subject: change, Service: s.name, Kind: "emergency", Links: map[string]string{"incident": inc.id},
		Attributes: map[string]string{"assignment_group": inc.group}})
	g.add(ingest.Event{ID: change + "-approved", Source: "servicenow", Type: ingest.TypeChangeRequestApproved,
		Time: created.Add(fix.Sub(created) / 2).Truncate(time.Second), Subject: change, Service: s.name})
	id := g.nextDeployment()
	d := s.deployment(id, fix, "production", "success", []string{sha})
	d.Kind, d.Links = "hotfix", map[string]string{"incident": inc.id, "change_request": change}
	g.add(d)
	g.add(ingest.Event{ID: change + "-closed", Source: "servicenow", Type: ingest.TypeChangeRequestClosed,
		Time: fix.Add(uniform(r, 10*time.Minute, 40*time.Minute)), Subject: change, Service: s.name, Outcome: "success",
		Links: map[string]string{"deployment": id}})
	return sha
}

// outage is the scripted failure three hours before End: a production
// deployment whose P1 incident is acknowledged but still open at End.
func (s *service) outage(g *generator, at time.Time) {
	commits := s.take(at)
	if len(commits) == 0 {
		commits = slices.Clone(s.running)
	}
	if len(commits) == 0 {
		return // nothing ever merged: nothing to deploy
	}
	id := g.nextDeployment()
	g.add(s.deployment(id, at, "production", "success", commits))
	s.running = commits
	s.incident(g, incident{id: g.nextIncident(s.team.incidentSource), opened: at.Add(25 * time.Minute),
		priority: "P1", group: s.team.group, deployment: id})
}

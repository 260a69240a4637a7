package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/throughline/throughline/ingest"
)

// service is the simulation state of one service: its open pull request,
// the merged commits not yet in production, what production runs, the
// deployments planned ahead and the work items in progress.
type service struct {
	*unit
	idx int
	rng *rand.Rand

	commits, prs int          // numbers used
	open         *pullRequest // collecting commits; nil when none
	merged       []mergedCommit
	running      []string  // the commits of what production runs
	plan         []planned // by time
	items        []activeItem
}

type pullRequest struct {
	id      string
	size    int // commits it will hold
	commits []string
	merged  time.Time
	hotfix  bool // deployed on its own, not queued for the next release
}

type mergedCommit struct {
	sha string
	at  time.Time // merge time
}

type activeItem struct {
	key           string
	started, done time.Time
}

// planned is a future moment of a service's deployment history. Releases
// are simulated when their time comes; remedies (rollbacks, hotfixes) are
// emitted when the failure is, and their plan entry only switches what
// production runs at the right moment, so a release never overtakes them.
type planned struct {
	at      time.Time
	kind    int
	running []string // planRemedy: what production runs afterwards
}

const (
	planRelease = iota
	planRemedy
	planOutage
)

// span is the part of a UTC day being simulated: [lo, hi).
type span struct{ lo, hi time.Time }

// draw returns an instant in [from, to) after the span's midnight, within
// the span; false when there is none (a partial first or last day).
func (sp span) draw(r *rand.Rand, from, to time.Duration) (time.Time, bool) {
	m := midnight(sp.lo)
	a, b := later(m.Add(from), sp.lo), earlier(m.Add(to), sp.hi)
	if !a.Before(b) {
		return time.Time{}, false
	}
	return a.Add(time.Duration(r.Int64N(int64(b.Sub(a)/time.Second))) * time.Second), true
}

func (s *service) simulate(g *generator, sp span) {
	s.workItems(g, sp)
	s.changes(g, sp)
	s.deployments(g, sp)
	s.incidents(g, sp)
}

func (s *service) schedule(p planned) {
	i, _ := slices.BinarySearchFunc(s.plan, p.at, func(q planned, t time.Time) int {
		if q.at.After(t) {
			return 1
		}
		return -1 // equal times keep their order of scheduling
	})
	s.plan = slices.Insert(s.plan, i, p)
}

// frac is how far t is through the window, 0 to 1: trends interpolate on it.
func (g *generator) frac(t time.Time) float64 {
	return float64(t.Sub(g.start)) / float64(g.end.Sub(g.start))
}

// interpolate goes from from to to geometrically: improvement compounds, a
// constant share a week, rather than a fixed number of hours.
func interpolate(from, to time.Duration, f float64) time.Duration {
	if to == 0 {
		return from
	}
	return time.Duration(float64(from) * math.Pow(float64(to)/float64(from), f))
}

var workItemKinds = []string{"feature", "defect", "risk", "debt"}

// workItems creates the day's Jira items with their whole lifecycle; the
// events after End are dropped, leaving items in progress or in the backlog.
func (s *service) workItems(g *generator, sp span) {
	p, r := s.team.profile, s.rng
	rate := p.items * activity(sp.lo, g.start, g.end)
	if !workday(sp.lo) {
		rate *= 0.05
	}
	// A team shipping more failures files more defects.
	defect := 0.25 + 0.25*s.team.effects.ramp(s.team.effects.cfr, sp.lo)
	for range poisson(r, rate) {
		created, ok := sp.draw(r, workStart, workEnd)
		if !ok {
			continue
		}
		s.team.jiraN++
		key := s.team.key + "-" + strconv.Itoa(s.team.jiraN)
		g.add(ingest.Event{ID: key + "-created", Source: "jira", Type: ingest.TypeWorkItemCreated, Time: created,
			Subject: key, Service: s.name, Kind: workItemKinds[pick(r, 0.8-defect, defect, 0.08, 0.12)]})
		if r.Float64() < 0.08 {
			continue // stays in the backlog
		}
		started := addWork(created, secs(r.ExpFloat64()*(16*time.Hour).Seconds()))
		done := addWork(started, lognormal(r, p.flow, 0.7))
		g.add(ingest.Event{ID: key + "-started", Source: "jira", Type: ingest.TypeWorkItemStarted, Time: started, Subject: key, Service: s.name})
		g.add(ingest.Event{ID: key + "-done", Source: "jira", Type: ingest.TypeWorkItemDone, Time: done, Subject: key, Service: s.name})
		s.items = append(s.items, activeItem{key: key, started: started, done: done})
	}
}

// itemAt returns the work item in progress at t that started last, or "".
func (s *service) itemAt(t time.Time) string {
	s.items = slices.DeleteFunc(s.items, func(it activeItem) bool { return !it.done.After(t) })
	key, started := "", time.Time{}
	for _, it := range s.items {
		if !it.started.After(t) && it.started.After(started) {
			key, started = it.key, it.started
		}
	}
	return key
}

// changes creates the day's commits, grouped into pull requests that merge
// after review, each merge followed by a CI build.
func (s *service) changes(g *generator, sp span) {
	p, r := s.team.profile, s.rng
	rate := p.commitsPerDay * activity(sp.lo, g.start, g.end)
	from, to := workStart, workEnd+time.Hour
	if !workday(sp.lo) {
		rate, from, to = rate*0.08, 10*time.Hour, 22*time.Hour
	}
	n := poisson(r, rate)
	if n == 0 {
		return
	}
	times := make([]time.Time, 0, n)
	for range n {
		if t, ok := sp.draw(r, from, to); ok {
			times = append(times, t)
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	review := interpolate(p.review, p.reviewEnd, g.frac(sp.lo))
	for _, t := range times {
		if s.open == nil {
			s.prs++
			s.open = &pullRequest{id: s.repo + "#" + strconv.Itoa(s.prs), size: 1 + r.IntN(p.prSize)}
		}
		s.open.commits = append(s.open.commits, s.commit(g, t, s.open))
		if len(s.open.commits) >= s.open.size {
			s.open.merged = addWork(t, lognormal(r, review, 0.8))
			s.merge(g, s.open)
			s.open = nil
		}
	}
}

func (s *service) commit(g *generator, t time.Time, pr *pullRequest) string {
	sha := g.sha(s, s.commits)
	s.commits++
	links := map[string]string{"change": pr.id}
	if !pr.hotfix {
		if k := s.itemAt(t); k != "" && s.rng.Float64() < 0.75 {
			links["work_item"] = k
		}
	}
	g.add(ingest.Event{ID: "commit-" + sha, Source: "github", Type: ingest.TypeChangeCommitted, Time: t,
		Subject: sha, Service: s.name, Repo: s.repo, Links: links})
	s.build(g, t.Add(uniform(s.rng, 3*time.Minute, 15*time.Minute)), pr.id, 0.12) // the pull request's CI
	return sha
}

// build emits a CI run of pr finishing at t, failing with probability fail.
func (s *service) build(g *generator, t time.Time, pr string, fail float64) {
	outcome := "success"
	if s.rng.Float64() < fail {
		outcome = "failure"
	}
	id := g.nextBuild()
	g.add(ingest.Event{ID: "build-" + id, Source: "github", Type: ingest.TypeBuildFinished, Time: t,
		Subject: id, Service: s.name, Repo: s.repo, Outcome: outcome, Links: map[string]string{"change": pr}})
}

func (s *service) merge(g *generator, pr *pullRequest) {
	r := s.rng
	g.add(ingest.Event{ID: "pr-" + pr.id, Source: "github", Type: ingest.TypeChangeMerged, Time: pr.merged,
		Subject: pr.id, Service: s.name, Repo: s.repo, Commits: pr.commits})
	s.build(g, pr.merged.Add(uniform(r, 2*time.Minute, 12*time.Minute)), pr.id, 0.04) // main after the merge
	if !pr.hotfix {
		for _, c := range pr.commits {
			s.merged = append(s.merged, mergedCommit{sha: c, at: pr.merged})
		}
	}
}

// take removes and returns the commits merged before t.
func (s *service) take(t time.Time) []string {
	var out []string
	kept := s.merged[:0]
	for _, c := range s.merged {
		if c.at.Before(t) {
			out = append(out, c.sha)
		} else {
			kept = append(kept, c)
		}
	}
	s.merged = kept
	return out
}

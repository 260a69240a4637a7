package demo

import (
	"math"
	"strconv"
	"time"

	"github.com/throughline/throughline/metrics"
)

// profile is how a team works. Durations of work (review, flow, the gap
// between releases, approvals) are working time (weekdays 08:00–18:00 UTC);
// the others are wall-clock.
type profile struct {
	name, product, portfolio string
	key                      string // Jira project key
	tier                     string // what the DORA tiers should say about the team, for doc.go and tests

	commitsPerDay float64 // per service and working day
	prSize        int     // commits per pull request, 1..prSize
	review        time.Duration
	reviewEnd     time.Duration // review median at End when it trends; 0 = no trend
	deployEvery   time.Duration // mean working time between release slots
	deployEnd     time.Duration // deployEvery at End when it trends; 0 = no trend
	cadence       bool          // fixed release cadence (±20%) instead of continuous delivery
	soak          time.Duration // staging → production

	cfr          float64       // share of production deployments that fail
	failOutright float64       // of those, the share whose deployment itself fails (the rest cause an incident)
	mitigate     time.Duration // incident opened → rollback or hotfix deployed (median)
	recovery     float64       // multiplies incident resolution times
	incidents    float64       // unlinked incidents per service and day
	selfHeal     float64       // share of unlinked incidents resolved by automation

	crShare  float64       // share of production releases with a ServiceNow change request
	standard float64       // of those, the share of pre-approved standard changes (the rest are normal)
	approval time.Duration // manual approval of a normal change (median working time)

	items float64       // Jira work items per service and working day
	flow  time.Duration // started → done (median working time)

	incidentSource string // pagerduty or servicenow
	group          string // usual assignment group of its incidents
}

// teams is the default organisation's eight teams. Read-only.
var teams = []profile{
	{name: "storefront", product: "web-shop", portfolio: "retail", key: "STORE", tier: "elite",
		commitsPerDay: 7, prSize: 3, review: time.Hour, deployEvery: 3 * time.Hour, soak: 20 * time.Minute,
		cfr: 0.04, failOutright: 0.5, mitigate: 15 * time.Minute, recovery: 0.6, incidents: 0.08, selfHeal: 0.3,
		crShare: 0.15, standard: 1, approval: 2 * time.Hour, items: 1, flow: 10 * time.Hour,
		incidentSource: "pagerduty", group: "Service Desk"},
	{name: "conversion", product: "web-shop", portfolio: "retail", key: "CONV", tier: "high",
		commitsPerDay: 6, prSize: 3, review: 3 * time.Hour, deployEvery: 7 * time.Hour, soak: 45 * time.Minute,
		cfr: 0.06, failOutright: 0.4, mitigate: 40 * time.Minute, recovery: 0.9, incidents: 0.1, selfHeal: 0.15,
		crShare: 0.5, standard: 0.7, approval: 4 * time.Hour, items: 0.9, flow: 16 * time.Hour,
		incidentSource: "pagerduty", group: "Service Desk"},
	{name: "treasury", product: "finance", portfolio: "back-office", key: "TRES", tier: "high",
		commitsPerDay: 5, prSize: 4, review: 5 * time.Hour, deployEvery: 10 * time.Hour, soak: 2 * time.Hour,
		cfr: 0.07, failOutright: 0.4, mitigate: time.Hour, recovery: 1, incidents: 0.25, selfHeal: 0.1,
		crShare: 0.9, standard: 0.4, approval: 6 * time.Hour, items: 0.8, flow: 20 * time.Hour,
		incidentSource: "servicenow", group: "Security Ops"},
	{name: "mobile", product: "mobile-app", portfolio: "retail", key: "MOB", tier: "medium, improving to high",
		commitsPerDay: 5, prSize: 3, review: 20 * time.Hour, reviewEnd: 2 * time.Hour,
		deployEvery: 60 * time.Hour, deployEnd: 6 * time.Hour, soak: 3 * time.Hour,
		cfr: 0.1, failOutright: 0.5, mitigate: 2 * time.Hour, recovery: 1.2, incidents: 0.08, selfHeal: 0.05,
		crShare: 0.3, standard: 0.5, approval: 8 * time.Hour, items: 0.8, flow: 24 * time.Hour,
		incidentSource: "servicenow", group: "Service Desk"},
	{name: "finance-core", product: "finance", portfolio: "back-office", key: "FIN", tier: "low",
		commitsPerDay: 3, prSize: 5, review: 24 * time.Hour, deployEvery: 120 * time.Hour, cadence: true, soak: 20 * time.Hour,
		cfr: 0.22, failOutright: 0.5, mitigate: 6 * time.Hour, recovery: 2.5, incidents: 0.12,
		crShare: 1, standard: 0.05, approval: 24 * time.Hour, items: 0.6, flow: 60 * time.Hour,
		incidentSource: "servicenow", group: "Database Team"},
	{name: "logistics", product: "fulfilment", portfolio: "back-office", key: "LOG", tier: "medium",
		commitsPerDay: 3.5, prSize: 4, review: 10 * time.Hour, deployEvery: 45 * time.Hour, cadence: true, soak: 4 * time.Hour,
		cfr: 0.13, failOutright: 0.5, mitigate: 3 * time.Hour, recovery: 1.5, incidents: 0.1, selfHeal: 0.05,
		crShare: 0.7, standard: 0.3, approval: 12 * time.Hour, items: 0.7, flow: 35 * time.Hour,
		incidentSource: "servicenow", group: "Service Desk"},
	{name: "platform-core", product: "developer-platform", portfolio: "platform", key: "PLAT", tier: "elite",
		commitsPerDay: 6, prSize: 2, review: 90 * time.Minute, deployEvery: 150 * time.Minute, soak: 15 * time.Minute,
		cfr: 0.03, failOutright: 0.6, mitigate: 10 * time.Minute, recovery: 0.5, incidents: 0.06, selfHeal: 0.45,
		crShare: 0.1, standard: 1, approval: time.Hour, items: 0.9, flow: 10 * time.Hour,
		incidentSource: "pagerduty", group: "Platform Ops"},
	{name: "data-eng", product: "data-platform", portfolio: "platform", key: "DATA", tier: "medium",
		commitsPerDay: 3.5, prSize: 3, review: 8 * time.Hour, deployEvery: 22 * time.Hour, cadence: true, soak: 2 * time.Hour,
		cfr: 0.11, failOutright: 0.5, mitigate: 2 * time.Hour, recovery: 1.3, incidents: 0.08, selfHeal: 0.2,
		crShare: 0.3, standard: 0.6, approval: 8 * time.Hour, items: 0.7, flow: 30 * time.Hour,
		incidentSource: "servicenow", group: "Database Team"},
}

// baseServices is the default organisation's twenty services, interleaved by
// team so that a fractional Scale (which takes a prefix) keeps its variety.
// The first one carries the scripted outage still open at End. Read-only.
var baseServices = []struct {
	name string
	team int // index in teams
}{
	{"checkout", 1}, {"web-frontend", 0}, {"payments", 2}, {"mobile-bff", 3},
	{"ledger", 4}, {"orders", 5}, {"auth", 6}, {"data-pipeline", 7},
	{"search", 0}, {"cart", 1}, {"fraud-check", 2}, {"push-notifications", 3},
	{"invoicing", 4}, {"inventory", 5}, {"api-gateway", 6}, {"recommendations", 7},
	{"catalog", 0}, {"pricing", 1}, {"reporting", 4}, {"shipping", 5},
}

// assignmentGroups maps the ITSM assignment groups to capabilities. Read-only.
var assignmentGroups = []struct{ group, capability string }{
	{"Service Desk", "end-user-support"},
	{"Platform Ops", "platform-operations"},
	{"Database Team", "data-management"},
	{"Security Ops", "security"},
}

// team is one team of the generated organisation: a profile and a copy
// number (Scale above 1 repeats the default organisation).
type team struct {
	*profile
	name, product, portfolio, key string
	replica                       int // 0 for the default organisation's teams
	jiraN                         int // last Jira number used
	effects                       effects
}

// unit is one service of the generated organisation.
type unit struct {
	name, repo string
	base       int // index in baseServices
	team       *team
	effects    effects
}

type org struct {
	teams    []*team
	services []*unit
}

// newOrg lays out the organisation for o (defaults applied). Scale s has
// round(20·s) services; service i is base service i mod 20 of copy i / 20.
// Copies get their own teams and products ("checkout-2", "conversion-2");
// every three copies share a set of portfolios.
func newOrg(o Options) *org {
	n := max(1, int(math.Round(o.Scale*float64(len(baseServices)))))
	g := &org{}
	byKey := map[[2]int]*team{} // (copy, profile) → team; looked up, never iterated
	for i := range n {
		b, c := i%len(baseServices), i/len(baseServices)
		bs := baseServices[b]
		t := byKey[[2]int{c, bs.team}]
		if t == nil {
			p := &teams[bs.team]
			t = &team{profile: p, replica: c,
				name:      suffix(p.name, c),
				product:   suffix(p.product, c),
				portfolio: suffix(p.portfolio, c/3),
				key:       p.key + keySuffix(c),
			}
			t.effects = teamEffects(o, t)
			byKey[[2]int{c, bs.team}] = t
			g.teams = append(g.teams, t)
		}
		name := suffix(bs.name, c)
		u := &unit{name: name, repo: "acme/" + name, base: b, team: t}
		u.effects = serviceEffects(o, u)
		g.services = append(g.services, u)
	}
	return g
}

func suffix(name string, replica int) string {
	if replica == 0 {
		return name
	}
	return name + "-" + strconv.Itoa(replica+1)
}

func keySuffix(replica int) string {
	if replica == 0 {
		return ""
	}
	return strconv.Itoa(replica + 1)
}

// Catalog returns the catalog of the organisation Generate(o) produces:
// every service with its team, product, portfolio and repository
// (acme/<service>), the products' portfolios, the assignment groups'
// capabilities and production_environments [production].
func Catalog(o Options) metrics.Catalog {
	if o.Validate() != nil {
		o.Scale = 0 // an invalid Scale falls back to the default organisation; Generate reports the error
	}
	g := newOrg(o.withDefaults())
	c := metrics.Catalog{
		ProductionEnvironments: []string{"production"},
		Services:               make(map[string]metrics.Service, len(g.services)),
		Products:               map[string]metrics.Product{},
		AssignmentGroups:       map[string]string{},
	}
	for _, s := range g.services {
		c.Services[s.name] = metrics.Service{
			Team: s.team.name, Product: s.team.product, Portfolio: s.team.portfolio,
			Repos: []string{s.repo},
		}
		c.Products[s.team.product] = metrics.Product{Portfolio: s.team.portfolio}
	}
	for _, a := range assignmentGroups {
		c.AssignmentGroups[a.group] = a.capability
	}
	return c
}

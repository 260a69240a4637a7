package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"time"

	"github.com/throughline/throughline/queries"
)

// GroupBys are the dimensions measures can be grouped by.
var GroupBys = []string{"service", "team", "product", "portfolio", "capability"}

// Query is a window, a scope and a grouping.
type Query struct {
	From, To    time.Time
	GroupBy     string // "" or one of GroupBys
	Service     string
	Team        string
	Product     string
	Portfolio   string
	Capability  string // ITSM capability (through assignment groups)
	Environment string // when set, replaces the production set for this query
}

// Validate names the first bad parameter.
func (q Query) Validate() error {
	if q.From.IsZero() || q.To.IsZero() {
		return errors.New("from and to are required")
	}
	if !q.From.Before(q.To) {
		return fmt.Errorf("from (%s) must be before to (%s)", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	if q.GroupBy != "" && !contains(GroupBys, q.GroupBy) {
		return fmt.Errorf("group_by %q is not one of service, team, product, portfolio, capability", q.GroupBy)
	}
	return nil
}

// Group is the measures of one group.
type Group struct {
	Key      string              `json:"key"`
	Measures map[string]*float64 `json:"measures"`
	Tiers    map[string]*string  `json:"tiers"`
}

// Report is the answer to a Query.
type Report struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	GroupBy string    `json:"group_by"`
	Groups  []Group   `json:"groups"`
}

// Options configure a Computer.
type Options struct {
	Store   *queries.Store
	Catalog *Catalog
	Tiers   *TierTable // default: the 2023 table
	Logger  *slog.Logger
	// Observe, when set, is told how long each query took (for /metrics).
	Observe func(query string, d time.Duration)
}

// Computer computes measures. It is safe for concurrent use.
type Computer struct {
	o Options
}

// NewComputer checks the options.
func NewComputer(o Options) (*Computer, error) {
	if o.Store == nil {
		return nil, errors.New("metrics: Options.Store is required")
	}
	if o.Catalog == nil {
		o.Catalog = &Catalog{}
	}
	if o.Tiers == nil {
		t, err := LoadTierTable(2023)
		if err != nil {
			return nil, err
		}
		o.Tiers = t
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Computer{o: o}, nil
}

// Catalog returns the catalog in use.
func (c *Computer) Catalog() *Catalog { return c.o.Catalog }

// Tiers returns the tier table in use.
func (c *Computer) Tiers() *TierTable { return c.o.Tiers }

func (c *Computer) params(q Query) queries.Params {
	p := queries.Params(c.o.Catalog.Params())
	envs := c.o.Catalog.Environments()
	if q.Environment != "" {
		envs = []string{q.Environment}
	}
	p["envs"] = envs
	p["from"] = q.From
	p["to"] = q.To
	p["group_by"] = q.GroupBy
	p["f_service"] = q.Service
	p["f_team"] = q.Team
	p["f_product"] = q.Product
	p["f_portfolio"] = q.Portfolio
	p["f_capability"] = q.Capability
	prios, secs := c.o.Catalog.slaTargets()
	p["sla_priorities"] = prios
	p["sla_seconds"] = secs
	return p
}

func (c *Computer) run(ctx context.Context, name string, p queries.Params) (*queries.Result, error) {
	start := time.Now()
	res, err := c.o.Store.Query(ctx, name, p)
	if c.o.Observe != nil {
		c.o.Observe(name, time.Since(start))
	}
	return res, err
}

// groups collects per-key values across several queries.
type groups map[string]map[string]*float64

func (g groups) set(key, measure string, v *float64) {
	m, ok := g[key]
	if !ok {
		m = map[string]*float64{}
		g[key] = m
	}
	m[measure] = v
}

func num(v float64) *float64 { return &v }

// Compute runs every measure for q.
func (c *Computer) Compute(ctx context.Context, q Query) (*Report, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := c.params(q)
	g := groups{}
	for _, f := range []func(context.Context, Query, queries.Params, groups) error{c.dora, c.incidents, c.changes, c.flow} {
		if err := f(ctx, q, p, g); err != nil {
			return nil, err
		}
	}
	rep := &Report{From: q.From.UTC(), To: q.To.UTC(), GroupBy: q.GroupBy}
	if q.GroupBy == "" && len(g) == 0 {
		g[""] = map[string]*float64{}
	}
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		grp := Group{Key: k, Measures: map[string]*float64{}, Tiers: map[string]*string{}}
		for _, d := range Definitions {
			v := g[k][d.Name]
			if v != nil && d.Unit == "seconds" {
				// Interpolated percentiles carry float noise
				// (2419931.0000000005): durations are exact to the
				// millisecond, well inside "agrees to the second".
				v = num(math.Round(*v*1000) / 1000)
			}
			grp.Measures[d.Name] = v
		}
		c.fillZeroCounts(grp.Measures)
		for _, m := range c.o.Tiers.TieredMeasures() {
			v, ok := grp.Measures[m]
			if !ok {
				continue
			}
			if v == nil {
				grp.Tiers[m] = nil
				continue
			}
			t := c.o.Tiers.Tier(m, *v)
			grp.Tiers[m] = &t
		}
		rep.Groups = append(rep.Groups, grp)
	}
	return rep, nil
}

// fillZeroCounts makes counts and per-day rates of counts 0 rather than
// null: no deployments in the window is 0 a day, not "nothing to
// measure". Ratios and durations stay null.
func (c *Computer) fillZeroCounts(m map[string]*float64) {
	for _, d := range Definitions {
		if (d.Unit == "count" || d.Unit == "per_day") && m[d.Name] == nil {
			m[d.Name] = num(0)
		}
	}
}

func (c *Computer) dora(ctx context.Context, q Query, p queries.Params, g groups) error {
	days := q.To.Sub(q.From).Hours() / 24
	res, err := c.run(ctx, "measures/deployments.sql", p)
	if err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		k := res.String(i, "key")
		n := res.Float(i, "deployments")
		g.set(k, "deployments", num(n))
		if n > 0 {
			g.set(k, "deployment_frequency_per_day", num(res.Float(i, "successful")/days))
			g.set(k, "change_failure_rate", num(res.Float(i, "failed")/n))
			g.set(k, "rework_rate", num(res.Float(i, "unplanned")/n))
		}
	}
	res, err = c.run(ctx, "measures/lead_time.sql", p)
	if err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		k := res.String(i, "key")
		n := res.Float(i, "samples")
		g.set(k, "change_lead_time_samples", num(n))
		if n > 0 {
			g.set(k, "change_lead_time_median_seconds", num(res.Float(i, "median")))
			g.set(k, "change_lead_time_p90_seconds", num(res.Float(i, "p90")))
		}
	}
	res, err = c.run(ctx, "measures/recovery.sql", p)
	if err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		k := res.String(i, "key")
		g.set(k, "failed_deployments_unrecovered", num(res.Float(i, "unrecovered")))
		if res.Float(i, "recovered") > 0 {
			g.set(k, "failed_deployment_recovery_time_median_seconds", num(res.Float(i, "median")))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func ratio(n, d float64) *float64 {
	if d == 0 {
		return nil
	}
	return num(n / d)
}

func (c *Computer) incidents(ctx context.Context, q Query, p queries.Params, g groups) error {
	res, err := c.run(ctx, "measures/incidents.sql", p)
	if err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		k := res.String(i, "key")
		opened, ackN, resN := res.Float(i, "opened"), res.Float(i, "ack_n"), res.Float(i, "res_n")
		if opened == 0 && ackN == 0 && resN == 0 {
			continue // only open incidents from before the window: nothing here
		}
		g.set(k, "incidents_opened", num(opened))
		g.set(k, "mtta_seconds", ratio(res.Float(i, "ack_sum"), ackN))
		g.set(k, "mttr_seconds", ratio(res.Float(i, "res_sum"), resN))
		if resN > 0 {
			g.set(k, "incident_resolution_median_seconds", num(res.Float(i, "res_median")))
			g.set(k, "incident_resolution_p90_seconds", num(res.Float(i, "res_p90")))
		}
		g.set(k, "first_time_fix_rate", ratio(res.Float(i, "res_no_reopen"), resN))
		g.set(k, "sla_compliance_rate", ratio(res.Float(i, "sla_met"), res.Float(i, "sla_n")))
		g.set(k, "self_heal_rate", ratio(res.Float(i, "res_automated"), resN))
	}
	return nil
}

func (c *Computer) changes(ctx context.Context, q Query, p queries.Params, g groups) error {
	res, err := c.run(ctx, "measures/changes.sql", p)
	if err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		k := res.String(i, "key")
		closed, created, apprN, apprEv := res.Float(i, "closed"), res.Float(i, "created"), res.Float(i, "approval_n"), res.Float(i, "approved_events")
		if closed == 0 && created == 0 && apprN == 0 && apprEv == 0 {
			continue
		}
		g.set(k, "change_requests_closed", num(closed))
		g.set(k, "change_success_rate", ratio(res.Float(i, "closed_success"), closed))
		g.set(k, "emergency_change_ratio", ratio(res.Float(i, "created_emergency"), created))
		g.set(k, "standard_change_ratio", ratio(res.Float(i, "created_standard"), created))
		if apprN > 0 {
			g.set(k, "change_approval_lead_time_median_seconds", num(res.Float(i, "approval_median")))
		}
		g.set(k, "automated_approval_ratio", ratio(res.Float(i, "approved_automated"), apprEv))
	}
	return nil
}

func (c *Computer) flow(ctx context.Context, q Query, p queries.Params, g groups) error {
	res, err := c.run(ctx, "measures/work_items.sql", p)
	if err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		k := res.String(i, "key")
		done, load := res.Float(i, "done"), res.Float(i, "load")
		if done == 0 && load == 0 {
			continue
		}
		g.set(k, "work_items_done", num(done))
		g.set(k, "flow_load", num(load))
		if res.Float(i, "flow_n") > 0 {
			g.set(k, "flow_time_median_seconds", num(res.Float(i, "flow_median")))
		}
		for _, kind := range []string{"feature", "defect", "risk", "debt"} {
			g.set(k, "flow_distribution_"+kind, ratio(res.Float(i, "done_"+kind), done))
		}
	}
	res, err = c.run(ctx, "measures/time_to_market.sql", p)
	if err != nil {
		return err
	}
	for i := 0; i < res.Len(); i++ {
		if res.Float(i, "samples") > 0 {
			g.set(res.String(i, "key"), "time_to_market_median_seconds", num(res.Float(i, "median")))
		}
	}
	return nil
}

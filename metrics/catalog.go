package metrics

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Catalog maps services (and repositories) to teams, products and
// portfolios. It is applied when measures are computed, so a changed
// mapping needs no re-ingest.
type Catalog struct {
	// ProductionEnvironments are the environment names that count as
	// production (default production, prod).
	ProductionEnvironments []string           `yaml:"production_environments"`
	Services               map[string]Service `yaml:"services"`
	// Products maps a product to its portfolio, for products that no
	// service names (an event may override its product).
	Products map[string]Product `yaml:"products"`
	// AssignmentGroups maps ITSM assignment groups to capabilities.
	AssignmentGroups map[string]string `yaml:"assignment_groups"`
	// SLATargets are incident resolution targets per priority, as Go
	// durations ("4h"); "none" (or "") means no target. Unset priorities
	// take DefaultSLATargets.
	SLATargets map[string]string `yaml:"sla_targets"`
}

// DefaultSLATargets are the resolution targets of MEASURES.md.
var DefaultSLATargets = map[string]time.Duration{
	"P1": 4 * time.Hour, "P2": 8 * time.Hour, "P3": 24 * time.Hour, "P4": 72 * time.Hour,
}

// slaTargets returns priorities and their targets in seconds (as text),
// for the incidents query.
func (c *Catalog) slaTargets() ([]string, []string) {
	t := map[string]time.Duration{}
	for p, d := range DefaultSLATargets {
		t[p] = d
	}
	if c != nil {
		for p, v := range c.SLATargets {
			d, _ := parseTarget(v)
			t[p] = d
		}
	}
	var prios, secs []string
	for _, p := range sortedKeys(t) {
		if t[p] > 0 {
			prios = append(prios, p)
			secs = append(secs, strconv.FormatInt(int64(t[p]/time.Second), 10))
		}
	}
	if len(prios) == 0 {
		return []string{"\x00"}, []string{"0"}
	}
	return prios, secs
}

func parseTarget(v string) (time.Duration, error) {
	if v == "" || v == "none" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration like 4h, or none", v)
	}
	return d, nil
}

// Service is one catalog entry.
type Service struct {
	Team      string   `yaml:"team"`
	Product   string   `yaml:"product"`
	Portfolio string   `yaml:"portfolio"`
	Repos     []string `yaml:"repos"`
}

// Product is a product's place in the portfolio.
type Product struct {
	Portfolio string `yaml:"portfolio"`
}

// DefaultProductionEnvironments are used when the catalog names none.
var DefaultProductionEnvironments = []string{"production", "prod"}

// Validate checks the catalog; errors name the offending key.
func (c *Catalog) Validate() error {
	for i, e := range c.ProductionEnvironments {
		if e == "" {
			return fmt.Errorf("catalog.production_environments[%d]: empty name", i)
		}
	}
	repos := map[string]string{}
	portfolios := map[string]string{}
	for _, name := range sortedKeys(c.Services) {
		s := c.Services[name]
		if name == "" || name == "unassigned" {
			return fmt.Errorf("catalog.services: %q is not a usable service name", name)
		}
		for i, r := range s.Repos {
			if r == "" {
				return fmt.Errorf("catalog.services.%s.repos[%d]: empty repository", name, i)
			}
			if other, ok := repos[r]; ok && other != name {
				return fmt.Errorf("catalog.services.%s.repos: %s already belongs to service %s", name, r, other)
			}
			repos[r] = name
		}
		if s.Portfolio != "" && s.Product == "" {
			return fmt.Errorf("catalog.services.%s.portfolio: set product too (a portfolio holds products)", name)
		}
		if s.Product != "" && s.Portfolio != "" {
			if p, ok := portfolios[s.Product]; ok && p != s.Portfolio {
				return fmt.Errorf("catalog.services.%s.portfolio: product %s is already in portfolio %s", name, s.Product, p)
			}
			portfolios[s.Product] = s.Portfolio
		}
	}
	for p, v := range c.SLATargets {
		if p != "P1" && p != "P2" && p != "P3" && p != "P4" && p != "P5" {
			return fmt.Errorf("catalog.sla_targets.%s: priorities are P1..P5", p)
		}
		if _, err := parseTarget(v); err != nil {
			return fmt.Errorf("catalog.sla_targets.%s: %v", p, err)
		}
	}
	for g, cap := range c.AssignmentGroups {
		if g == "" || cap == "" {
			return fmt.Errorf("catalog.assignment_groups.%s: group and capability must both be named", g)
		}
	}
	for name, p := range c.Products {
		if other, ok := portfolios[name]; ok && other != p.Portfolio {
			return fmt.Errorf("catalog.products.%s.portfolio: %s disagrees with the services' %s", name, p.Portfolio, other)
		}
	}
	return nil
}

// Environments returns the production environment names.
func (c *Catalog) Environments() []string {
	if c == nil || len(c.ProductionEnvironments) == 0 {
		return DefaultProductionEnvironments
	}
	return c.ProductionEnvironments
}

// TeamOf and ProductOf return a service's catalog team and product, or
// "unassigned".
func (c *Catalog) TeamOf(service string) string {
	if s, ok := c.lookup(service); ok && s.Team != "" {
		return s.Team
	}
	return "unassigned"
}

// ProductOf returns a service's product, or "unassigned".
func (c *Catalog) ProductOf(service string) string {
	if s, ok := c.lookup(service); ok && s.Product != "" {
		return s.Product
	}
	return "unassigned"
}

func (c *Catalog) lookup(service string) (Service, bool) {
	if c == nil {
		return Service{}, false
	}
	s, ok := c.Services[service]
	return s, ok
}

// Params turns the catalog into the array parameters of
// queries/sql/fragments/dims.sql, for every statement that groups or
// scopes through the catalog (measures, reports).
func (c *Catalog) Params() map[string]any {
	var repoKeys, repoSvcs, svcKeys, svcTeams, svcProducts, prodKeys, prodPortfolios []string
	portfolios := map[string]string{}
	if c != nil {
		for _, name := range sortedKeys(c.Services) {
			s := c.Services[name]
			svcKeys = append(svcKeys, name)
			svcTeams = append(svcTeams, orUnassigned(s.Team))
			svcProducts = append(svcProducts, orUnassigned(s.Product))
			for _, r := range s.Repos {
				repoKeys = append(repoKeys, r)
				repoSvcs = append(repoSvcs, name)
			}
			if s.Product != "" && s.Portfolio != "" {
				portfolios[s.Product] = s.Portfolio
			}
		}
		for name, p := range c.Products {
			if p.Portfolio != "" {
				portfolios[name] = p.Portfolio
			}
		}
	}
	for _, p := range sortedKeys(portfolios) {
		prodKeys = append(prodKeys, p)
		prodPortfolios = append(prodPortfolios, portfolios[p])
	}
	// transform() needs constant, non-empty arrays: an empty mapping gets
	// one entry whose key no event can carry (a NUL byte).
	pad := func(keys, vals []string) ([]string, []string) {
		if len(keys) == 0 {
			return []string{"\x00"}, []string{"unassigned"}
		}
		return keys, vals
	}
	var agKeys, agCaps []string
	if c != nil {
		for _, g := range sortedKeys(c.AssignmentGroups) {
			agKeys = append(agKeys, g)
			agCaps = append(agCaps, c.AssignmentGroups[g])
		}
	}
	agKeys, agCaps = pad(agKeys, agCaps)
	repoKeys, repoSvcs = pad(repoKeys, repoSvcs)
	var svcKeys2 []string
	svcKeys2, svcTeams = pad(svcKeys, svcTeams)
	_, svcProducts = pad(svcKeys, svcProducts)
	prodKeys, prodPortfolios = pad(prodKeys, prodPortfolios)
	return map[string]any{
		"repo_keys": repoKeys, "repo_services": repoSvcs,
		"svc_keys": svcKeys2, "svc_teams": svcTeams, "svc_products": svcProducts,
		"product_keys": prodKeys, "product_portfolios": prodPortfolios,
		"ag_keys": agKeys, "ag_capabilities": agCaps,
	}
}

func orUnassigned(s string) string {
	if s == "" {
		return "unassigned"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

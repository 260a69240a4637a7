package metrics

import (
	"fmt"
	"sort"
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

// params turns the catalog into the array parameters of
// queries/sql/fragments/dims.sql.
func (c *Catalog) params() map[string]any {
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
	repoKeys, repoSvcs = pad(repoKeys, repoSvcs)
	var svcKeys2 []string
	svcKeys2, svcTeams = pad(svcKeys, svcTeams)
	_, svcProducts = pad(svcKeys, svcProducts)
	prodKeys, prodPortfolios = pad(prodKeys, prodPortfolios)
	return map[string]any{
		"repo_keys": repoKeys, "repo_services": repoSvcs,
		"svc_keys": svcKeys2, "svc_teams": svcTeams, "svc_products": svcProducts,
		"product_keys": prodKeys, "product_portfolios": prodPortfolios,
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

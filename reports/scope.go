package reports

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/throughline/throughline/metrics"
)

// Scope is what a report covers: the organisation, or one portfolio,
// product, team or service.
type Scope struct {
	Kind string `json:"kind"` // org, portfolio, product, team, service
	Name string `json:"name,omitempty"`
}

// scopeKinds in order from the widest.
var scopeKinds = []string{"org", "portfolio", "product", "team", "service"}

// ParseScope reads "org" or "<kind>:<name>" (team:payments).
func ParseScope(s string) (Scope, error) {
	if s == "org" || s == "organisation" || s == "organization" {
		return Scope{Kind: "org"}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok {
		return Scope{}, fmt.Errorf("%q is not org or kind:name (portfolio:X, product:X, team:X, service:X)", s)
	}
	switch kind {
	case "portfolio", "product", "team", "service":
	default:
		return Scope{}, fmt.Errorf("%q: the kind must be portfolio, product, team or service, not %q", s, kind)
	}
	if name == "" || len(name) > 200 {
		return Scope{}, fmt.Errorf("%q: the %s name must be 1 to 200 characters", s, kind)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return Scope{}, fmt.Errorf("%q: the %s name has a control or invalid character", s, kind)
		}
	}
	return Scope{Kind: kind, Name: name}, nil
}

// String is the scope as ParseScope reads it.
func (s Scope) String() string {
	if s.Kind == "org" || s.Kind == "" {
		return "org"
	}
	return s.Kind + ":" + s.Name
}

// Label is the scope for a reader: "the organisation", "team payments".
func (s Scope) Label() string {
	if s.Kind == "org" || s.Kind == "" {
		return "the organisation"
	}
	return s.Kind + " " + s.Name
}

// Subject is the label with a capital, to start a sentence.
func (s Scope) Subject() string {
	l := s.Label()
	return strings.ToUpper(l[:1]) + l[1:]
}

// apply sets the scope's filter on a measure query.
func (s Scope) apply(q metrics.Query) metrics.Query {
	switch s.Kind {
	case "portfolio":
		q.Portfolio = s.Name
	case "product":
		q.Product = s.Name
	case "team":
		q.Team = s.Name
	case "service":
		q.Service = s.Name
	}
	return q
}

// children is the dimension the report compares within the scope: teams,
// who own the numbers, for the organisation, a portfolio or a product;
// services for a team or a service.
func (s Scope) children() string {
	switch s.Kind {
	case "team", "service":
		return "service"
	}
	return "team"
}

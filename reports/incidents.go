package reports

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/throughline/throughline/metrics"
	"github.com/throughline/throughline/queries"
)

// IncidentSummary is the incidents opened in the period, in summary.
type IncidentSummary struct {
	Opened int `json:"opened"`
	// OpenAtEnd were not resolved (or were reopened) at the period's end.
	OpenAtEnd int `json:"open_at_end"`
	// CausedByDeployments name the deployment that caused them.
	CausedByDeployments int     `json:"caused_by_deployments"`
	ByPriority          []Count `json:"by_priority"`
	// Notable are the most severe, then the longest, at most notableShown.
	Notable []Incident `json:"notable"`
	// Truncated is set when the period had more incidents than the report
	// reads (incidentLimit): the counts are then lower bounds.
	Truncated bool `json:"truncated,omitempty"`
}

// Count is a number of things with one key.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Incident is one incident of the period.
type Incident struct {
	ID         string     `json:"id"`
	Priority   string     `json:"priority"`
	Service    string     `json:"service"`
	Team       string     `json:"team"`
	Opened     time.Time  `json:"opened"`
	Resolved   *time.Time `json:"resolved"`
	Open       bool       `json:"open"`
	Deployment string     `json:"deployment,omitempty"`
	// Duration is opened to resolved, or to the period's end while open.
	Duration string `json:"duration"`
}

// ChangeSummary is the change requests raised in the period.
type ChangeSummary struct {
	// Deployments is the production deployments measure, for context.
	Deployments  *float64 `json:"deployments"`
	Requests     int      `json:"requests"`
	ByKind       []Count  `json:"by_kind"`
	ByOutcome    []Count  `json:"by_outcome"`
	Approved     int      `json:"approved"`
	AutoApproved int      `json:"auto_approved"`
}

const (
	incidentLimit = 10000
	notableShown  = 8
)

func (b *Builder) incidents(ctx context.Context, s Scope, w Window) (IncidentSummary, error) {
	p := b.params(s, w)
	p["limit"] = incidentLimit
	res, err := b.o.Store.Query(ctx, "reports/incidents.sql", p)
	if err != nil {
		return IncidentSummary{}, fmt.Errorf("incidents: %w", err)
	}
	sum := IncidentSummary{Opened: res.Len(), Truncated: res.Len() >= incidentLimit, ByPriority: []Count{}, Notable: []Incident{}}
	prio := map[string]int{}
	var all []Incident
	for i := 0; i < res.Len(); i++ {
		inc := Incident{
			ID: res.String(i, "subject"), Priority: res.String(i, "priority"),
			Service: res.String(i, "service_name"), Team: res.String(i, "team_name"),
			Opened: time.Unix(res.Int(i, "opened"), 0).UTC(), Deployment: res.String(i, "deployment"),
		}
		resolved, reopened := res.Int(i, "resolved"), res.Int(i, "reopened")
		end := w.To
		if resolved > 0 && reopened <= resolved {
			t := time.Unix(resolved, 0).UTC()
			inc.Resolved, end = &t, t
		} else {
			inc.Open = true
			sum.OpenAtEnd++
		}
		inc.Duration = duration(end.Sub(inc.Opened).Seconds())
		if inc.Deployment != "" {
			sum.CausedByDeployments++
		}
		k := inc.Priority
		if k == "" {
			k = "none"
		}
		prio[k]++
		all = append(all, inc)
	}
	for _, k := range sortedKeys(prio) {
		sum.ByPriority = append(sum.ByPriority, Count{Key: k, Count: prio[k]})
	}
	// Most severe first (P1 < P2 < ... < none), then the longest.
	sort.SliceStable(all, func(i, j int) bool {
		pi, pj := prioRank(all[i].Priority), prioRank(all[j].Priority)
		if pi != pj {
			return pi < pj
		}
		di, dj := incidentSpan(all[i], w.To), incidentSpan(all[j], w.To)
		if di != dj {
			return di > dj
		}
		return all[i].ID < all[j].ID
	})
	sum.Notable = append(sum.Notable, all[:min(len(all), notableShown)]...)
	return sum, nil
}

func incidentSpan(i Incident, end time.Time) time.Duration {
	if i.Resolved != nil {
		end = *i.Resolved
	}
	return end.Sub(i.Opened)
}

func prioRank(p string) string {
	if p == "" {
		return "~" // after every P
	}
	return p
}

func (b *Builder) changes(ctx context.Context, s Scope, w Window) (ChangeSummary, error) {
	res, err := b.o.Store.Query(ctx, "reports/change_requests.sql", b.params(s, w))
	if err != nil {
		return ChangeSummary{}, fmt.Errorf("change requests: %w", err)
	}
	sum := ChangeSummary{ByKind: []Count{}, ByOutcome: []Count{}}
	kinds, outcomes := map[string]int{}, map[string]int{}
	for i := 0; i < res.Len(); i++ {
		n := int(res.Int(i, "requests"))
		sum.Requests += n
		k := res.String(i, "kind")
		if k == "" {
			k = "unspecified"
		}
		kinds[k] += n
		o := res.String(i, "outcome")
		if o == "" {
			o = "open"
		}
		outcomes[o] += n
		if res.Int(i, "approved") == 1 {
			sum.Approved += n
		}
		if res.Int(i, "auto_approved") == 1 {
			sum.AutoApproved += n
		}
	}
	for _, k := range sortedKeys(kinds) {
		sum.ByKind = append(sum.ByKind, Count{Key: k, Count: kinds[k]})
	}
	for _, k := range sortedKeys(outcomes) {
		sum.ByOutcome = append(sum.ByOutcome, Count{Key: k, Count: outcomes[k]})
	}
	return sum, nil
}

// params are the window, the scope and the catalog for the report's own
// SQL, which shares queries/sql/fragments/dims.sql with the measures so
// that a team means the same thing in both.
func (b *Builder) params(s Scope, w Window) queries.Params {
	p := catalogParams(b.o.Catalog)
	q := s.apply(metrics.Query{})
	p["from"], p["to"] = w.From, w.To
	p["group_by"] = ""
	p["f_service"], p["f_team"], p["f_product"], p["f_portfolio"] = q.Service, q.Team, q.Product, q.Portfolio
	p["f_capability"] = "" // reports are not scoped by capability
	return p
}

// catalogParams are the catalog arrays of fragments/dims.sql, bound the
// same way as the measures'.
func catalogParams(c *metrics.Catalog) queries.Params {
	return queries.Params(c.Params())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

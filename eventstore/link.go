package eventstore

import (
	"context"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries"
)

// LinkOptions configure the incident-to-deployment linking rule.
type LinkOptions struct {
	// Window: an incident opened at most this long after a successful
	// production deployment of the same service is linked to it. Zero
	// disables the rule (explicit links only).
	Window time.Duration
	// Environments are the production environment names.
	Environments []string
}

// Linker links incident.opened events without an explicit deployment to
// the latest successful production deployment of the same service within
// the window before the incident: never "the latest deployment anywhere".
// Every incident.opened gets attributes.link_rule saying how it was linked:
// "explicit", "same-service-window" or "none".
type Linker struct {
	Store *queries.Store
	O     LinkOptions
}

// Link implements ingest.Linker. It changes events in place; a lookup
// failure leaves them unlinked rather than failing the request.
func (l *Linker) Link(ctx context.Context, recs []ingest.Record) {
	for i := range recs {
		e := &recs[i].Event
		if e.Type != ingest.TypeIncidentOpened {
			continue
		}
		rule := "none"
		if e.Links["deployment"] != "" {
			rule = "explicit"
		} else if l.O.Window > 0 && e.Service != "" {
			res, err := l.Store.Query(ctx, "events/recent_deployments.sql", queries.Params{
				"services": []string{e.Service}, "envs": l.O.Environments,
				"before": e.Time, "window_start": e.Time.Add(-l.O.Window),
			})
			if err == nil && res.Len() > 0 && res.String(0, "dsubject") != "" {
				if e.Links == nil {
					e.Links = map[string]string{}
				}
				e.Links["deployment"] = res.String(0, "dsubject")
				rule = "same-service-window"
			}
		}
		if e.Attributes == nil {
			e.Attributes = map[string]string{}
		}
		if _, set := e.Attributes["link_rule"]; !set || rule != "none" {
			e.Attributes["link_rule"] = rule
		}
	}
}

package eventstore

import (
	"context"
	"strings"
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
//
// It also chains pushes: a push's head commit that names the branch's
// previous head (attributes.push_before, see ingest.MarkPushHead) lists,
// besides its own push's commits, those the previous head listed, unless
// that head was already deployed to production. A deployment of the
// branch's latest head then carries every commit pushed since the last
// deployment, as EVENTS.md's deployment commits ask, although the tools'
// deployment events name one SHA (several merges, then one deployment).
// Lists stop at MaxChain commits.
type Linker struct {
	Store *queries.Store
	O     LinkOptions
}

// Link implements ingest.Linker. It changes events in place; a lookup
// failure leaves them unlinked rather than failing the request.
func (l *Linker) Link(ctx context.Context, recs []ingest.Record) {
	heads := map[string][]string{} // push heads of this batch: id -> commits
	for i := range recs {
		e := &recs[i].Event
		if e.Type == ingest.TypeChangeCommitted {
			l.chainPush(ctx, e, heads)
			continue
		}
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

// MaxChain bounds the commits a push head lists through the push chain.
const MaxChain = 1000

// chainPush adds to a push head's commits those of the branch's previous
// head, when that head is known (in this batch or the store) and was not
// deployed. A lookup failure leaves the head with its own push's commits.
func (l *Linker) chainPush(ctx context.Context, e *ingest.Event, heads map[string][]string) {
	before := strings.ToLower(e.Attributes[ingest.PushBeforeAttr])
	own := e.Commits
	if len(own) == 0 {
		own = []string{e.Subject}
	}
	defer func() { heads[e.Source+"\x00"+e.ID] = own }()
	if before == "" {
		return
	}
	if deployed, err := l.deployed(ctx, before); err != nil || deployed {
		return
	}
	id := "push:" + before
	prev, ok := heads[e.Source+"\x00"+id]
	if !ok {
		res, err := l.Store.Query(ctx, "events/push_head.sql", queries.Params{"source": e.Source, "id": id})
		if err != nil || res.Len() == 0 {
			return
		}
		if prev = res.Strings(0, "commits"); len(prev) == 0 {
			prev = []string{res.String(0, "subject")}
		}
	}
	seen := map[string]bool{}
	var list []string
	for _, c := range append(append([]string{}, own...), prev...) {
		if k := strings.ToLower(c); !seen[k] && len(list) < MaxChain {
			seen[k] = true
			list = append(list, c)
		}
	}
	if len(list) > 1 {
		e.Commits = list
		own = list
	}
}

// deployed reports whether a successful production deployment carries sha.
func (l *Linker) deployed(ctx context.Context, sha string) (bool, error) {
	res, err := l.Store.Query(ctx, "events/sha_deployed.sql", queries.Params{"sha": sha, "envs": l.O.Environments})
	if err != nil {
		return false, err
	}
	return res.Len() > 0 && res.Int(0, "n") > 0, nil
}

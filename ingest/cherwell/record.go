package cherwell

import (
	"fmt"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

// record is one business object's field values, by lower-cased internal
// name (and display name where no internal name is the same).
type record struct {
	values   map[string]string
	recID    string
	publicID string
}

func (r record) str(field string) string { return r.values[strings.ToLower(field)] }

// label names the record in logs.
func (r record) label(idField string) string {
	for _, s := range []string{r.str(idField), r.publicID, r.recID} {
		if s != "" {
			return s
		}
	}
	return "(no id)"
}

// mapper maps records with the options.
type mapper struct {
	o   Options
	loc *time.Location
}

func (m *mapper) f(role string) string { return m.o.Fields[role] }

func (m *mapper) val(r record, role string) string { return r.str(m.f(role)) }

// time reads a date field: in the configured layout (with or without
// seconds) and zone, or RFC 3339, or ISO without a zone.
func (m *mapper) time(r record, role string) (time.Time, bool, error) {
	s := m.val(r, role)
	if s == "" {
		return time.Time{}, false, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true, nil
	}
	layouts := []string{m.o.DateLayout}
	if l := withSeconds(m.o.DateLayout); l != m.o.DateLayout {
		layouts = append(layouts, l)
	}
	layouts = append(layouts, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05")
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, s, m.loc); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%w: %s: %q is not a date in the layout %q (options.date_layout)", ingest.ErrPayload, m.f(role), s, m.o.DateLayout)
}

// withSeconds adds seconds to a layout with minutes and none.
func withSeconds(layout string) string {
	if strings.Contains(layout, "05") || !strings.Contains(layout, ":04") {
		return layout
	}
	return strings.Replace(layout, ":04", ":04:05", 1)
}

// firstTime returns the first set time of roles.
func (m *mapper) firstTime(r record, roles ...string) (time.Time, error) {
	for _, role := range roles {
		t, ok, err := m.time(r, role)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			return t, nil
		}
	}
	return time.Time{}, nil
}

func base(id, typ, subject string, t time.Time) ingest.Event {
	return ingest.Event{ID: id, Source: Source, Type: typ, Subject: subject, Time: t, Attributes: map[string]string{}}
}

func fold(list []string, s string) bool {
	for _, v := range list {
		if s != "" && strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// stamp writes a time into an id.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// finish normalises and validates events; one invalid event makes the
// record unmappable.
func finish(subject string, evs []ingest.Event) ([]ingest.Event, error) {
	for i := range evs {
		evs[i].Normalize()
		if err := evs[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ingest.ErrPayload, subject, err)
		}
	}
	return evs, nil
}

// Incident statuses: open, resolved, or cancelled.
const (
	open = iota
	resolved
	cancelled
)

var incidentStatuses = map[string]int{
	"new": open, "assigned": open, "in progress": open, "pending": open, "reopened": open,
	"resolved": resolved, "closed": resolved,
	"cancelled": cancelled, "canceled": cancelled, "withdrawn": cancelled,
}

var priorities = map[string]string{"1": "P1", "2": "P2", "3": "P3", "4": "P4", "5": "P5"}

// subject prefixes an id that is a bare number ("10216") with the
// object's kind, so incident 10216 and change 10216 differ.
func subject(prefix, id string) string {
	if id != "" && strings.Trim(id, "0123456789") == "" {
		return prefix + id
	}
	return id
}

// incident yields opened; acknowledged when the incident has a responded
// time; resolved when it is Resolved or Closed. Cancelled incidents yield
// opened only: reported, never fixed, they stay out of MTTR and SLA.
func (m *mapper) incident(r record) ([]ingest.Event, error) {
	num := subject("INC-", m.val(r, "incident_id"))
	if num == "" {
		return nil, fmt.Errorf("%w: %s: missing", ingest.ErrPayload, m.f("incident_id"))
	}
	opened, err := m.firstTime(r, "created")
	if err != nil {
		return nil, err
	}
	if opened.IsZero() {
		return nil, fmt.Errorf("%w: %s %s: missing", ingest.ErrPayload, num, m.f("created"))
	}
	status, known := incidentStatuses[strings.ToLower(m.val(r, "status"))]
	if !known {
		return nil, fmt.Errorf("%w: %s %s: %q is not an incident status", ingest.ErrPayload, num, m.f("status"), m.val(r, "status"))
	}
	attrs := func(e *ingest.Event) {
		if g := m.val(r, "team"); g != "" {
			e.Attributes["assignment_group"] = g
		}
		e.Attributes["status"] = m.val(r, "status")
	}
	e := base(num+":opened", ingest.TypeIncidentOpened, num, opened)
	e.Service = m.service(r, "service")
	if e.Service == "" {
		e.Service = m.o.DefaultService
	}
	e.Priority = priorities[m.val(r, "priority")]
	attrs(&e)
	out := []ingest.Event{e}
	if status == cancelled {
		return finish(num, out)
	}
	if t, ok, err := m.time(r, "responded"); err != nil {
		return nil, err
	} else if ok {
		a := base(num+":acknowledged", ingest.TypeIncidentAcknowledged, num, t)
		attrs(&a)
		out = append(out, a)
	}
	if status == resolved {
		t, err := m.firstTime(r, "resolved", "closed", "modified")
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, fmt.Errorf("%w: %s %s: missing on a resolved incident (and no %s or %s)", ingest.ErrPayload, num, m.f("resolved"), m.f("closed"), m.f("modified"))
		}
		// Keyed by the resolution time: a reopened incident resolved
		// again is a second resolution.
		res := base(num+":resolved:"+stamp(t), ingest.TypeIncidentResolved, num, t)
		attrs(&res)
		out = append(out, res)
	}
	return finish(num, out)
}

func (m *mapper) service(r record, role string) string {
	v := m.val(r, role)
	if s := m.o.Services[v]; s != "" {
		return s
	}
	return v
}

// change yields created; approved once the approved field is set
// (standard changes are pre-approved: automated); closed when the status
// is Closed with a closure code that gives an outcome.
func (m *mapper) change(r record) ([]ingest.Event, error) {
	id := subject("CR-", m.val(r, "change_id"))
	if id == "" {
		return nil, fmt.Errorf("%w: %s: missing", ingest.ErrPayload, m.f("change_id"))
	}
	created, err := m.firstTime(r, "change_created")
	if err != nil {
		return nil, err
	}
	if created.IsZero() {
		return nil, fmt.Errorf("%w: %s %s: missing", ingest.ErrPayload, id, m.f("change_created"))
	}
	typ := m.val(r, "change_type")
	kind := ""
	switch strings.ToLower(typ) {
	case "standard":
		kind = "standard"
	case "normal", "major", "minor":
		kind = "normal"
	case "emergency":
		kind = "emergency"
	}
	attrs := func(e *ingest.Event) {
		if g := m.val(r, "change_team"); g != "" {
			e.Attributes["assignment_group"] = g
		}
		if typ != "" {
			e.Attributes["change_type"] = typ
		}
	}
	c := base(id+":created", ingest.TypeChangeRequestCreated, id, created)
	c.Kind = kind
	c.Service = m.service(r, "change_service")
	attrs(&c)
	out := []ingest.Event{c}
	if t, ok, err := m.time(r, "approved"); err != nil {
		return nil, err
	} else if ok {
		a := base(id+":approved", ingest.TypeChangeRequestApproved, id, t)
		a.Automated = kind == "standard"
		attrs(&a)
		out = append(out, a)
	}
	code := m.val(r, "closure_code")
	if strings.EqualFold(m.val(r, "change_status"), "closed") && code != "" {
		outcome := ""
		switch {
		case fold(m.o.SuccessfulClosureCodes, code):
			outcome = "success"
		case fold(m.o.FailedClosureCodes, code):
			outcome = "failure"
		}
		if outcome != "" {
			t, err := m.firstTime(r, "change_closed", "change_modified")
			if err != nil {
				return nil, err
			}
			if t.IsZero() {
				return nil, fmt.Errorf("%w: %s %s: missing on a closed change (and no %s)", ingest.ErrPayload, id, m.f("change_closed"), m.f("change_modified"))
			}
			cl := base(id+":closed", ingest.TypeChangeRequestClosed, id, t)
			cl.Outcome = outcome
			cl.Attributes["closure_code"] = code
			attrs(&cl)
			out = append(out, cl)
		}
	}
	return finish(id, out)
}

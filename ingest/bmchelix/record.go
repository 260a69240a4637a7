package bmchelix

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

// record is one entry's values, by field name.
type record map[string]any

// str returns a value as text ("" for null or absent).
func (r record) str(field string) string {
	switch v := r[field].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// mapper maps records with the options.
type mapper struct {
	o   Options
	loc *time.Location
}

func (m *mapper) f(role string) string { return m.o.Fields[role] }

func (m *mapper) val(r record, role string) string { return r.str(m.f(role)) }

// time reads a date field: "2026-02-02T08:00:00.000+0000" as the REST API
// writes it, RFC 3339, or a plain date-time in the configured zone.
func (m *mapper) time(r record, role string) (time.Time, bool, error) {
	s := m.val(r, role)
	if s == "" {
		return time.Time{}, false, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, m.loc); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%w: %s: %q is not a Helix date (2026-02-02T08:00:00.000+0000)", ingest.ErrPayload, m.f(role), s)
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

func (m *mapper) base(id, typ, subject string, t time.Time) ingest.Event {
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

// Incident statuses, in order.
var incidentStatuses = map[string]int{
	"new": 0, "assigned": 1, "in progress": 2, "pending": 3, "resolved": 4, "closed": 5, "cancelled": 6, "canceled": 6,
}

var priorities = map[string]string{"critical": "P1", "high": "P2", "medium": "P3", "low": "P4"}

// incident yields opened; acknowledged when the incident has a Responded
// Date; resolved when it is Resolved or Closed. Cancelled incidents yield
// opened only: reported, never fixed, they stay out of MTTR and SLA.
func (m *mapper) incident(r record) ([]ingest.Event, error) {
	num := m.val(r, "incident_number")
	if num == "" {
		return nil, fmt.Errorf("%w: %s: missing", ingest.ErrPayload, m.f("incident_number"))
	}
	opened, err := m.firstTime(r, "submitted")
	if err != nil {
		return nil, err
	}
	if opened.IsZero() {
		return nil, fmt.Errorf("%w: %s %s: missing", ingest.ErrPayload, num, m.f("submitted"))
	}
	status, known := incidentStatuses[strings.ToLower(m.val(r, "status"))]
	if !known {
		return nil, fmt.Errorf("%w: %s %s: %q is not an incident status", ingest.ErrPayload, num, m.f("status"), m.val(r, "status"))
	}
	attrs := func(e *ingest.Event) {
		if g := m.val(r, "assigned_group"); g != "" {
			e.Attributes["assignment_group"] = g
		}
		e.Attributes["status"] = m.val(r, "status")
	}
	e := m.base(num+":opened", ingest.TypeIncidentOpened, num, opened)
	e.Service = m.service(r, "service_ci", "ci")
	if e.Service == "" {
		e.Service = m.o.DefaultService
	}
	e.Priority = priorities[strings.ToLower(m.val(r, "priority"))]
	attrs(&e)
	out := []ingest.Event{e}
	if status == 6 {
		return finish(num, out)
	}
	if t, ok, err := m.time(r, "responded"); err != nil {
		return nil, err
	} else if ok {
		a := m.base(num+":acknowledged", ingest.TypeIncidentAcknowledged, num, t)
		attrs(&a)
		out = append(out, a)
	}
	if status == 4 || status == 5 {
		t, err := m.firstTime(r, "resolved", "closed", "modified")
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, fmt.Errorf("%w: %s %s: missing on a resolved incident (and no %s or %s)", ingest.ErrPayload, num, m.f("resolved"), m.f("closed"), m.f("modified"))
		}
		// Keyed by the resolution time: a reopened incident resolved
		// again is a second resolution.
		res := m.base(num+":resolved:"+stamp(t), ingest.TypeIncidentResolved, num, t)
		attrs(&res)
		reason := m.val(r, "status_reason")
		if reason != "" {
			res.Attributes["status_reason"] = reason
		}
		res.Automated = fold(m.o.AutomatedStatusReasons, reason)
		out = append(out, res)
	}
	return finish(num, out)
}

func (m *mapper) service(r record, roles ...string) string {
	for _, role := range roles {
		if v := m.val(r, role); v != "" {
			if s := m.o.CIServices[v]; s != "" {
				return s
			}
			return v
		}
	}
	return ""
}

// Change statuses after approval.
var approvedStatuses = map[string]bool{
	"scheduled": true, "implementation in progress": true, "completed": true, "closed": true,
}

// change yields created; approved once the change is past approval and
// the approved field is set (standard changes are approved by their
// template: automated); closed when it is Completed or Closed with a
// Status Reason that gives an outcome.
func (m *mapper) change(r record) ([]ingest.Event, error) {
	id := m.val(r, "change_id")
	if id == "" {
		return nil, fmt.Errorf("%w: %s: missing", ingest.ErrPayload, m.f("change_id"))
	}
	created, err := m.firstTime(r, "change_submitted")
	if err != nil {
		return nil, err
	}
	if created.IsZero() {
		return nil, fmt.Errorf("%w: %s %s: missing", ingest.ErrPayload, id, m.f("change_submitted"))
	}
	timing := m.val(r, "change_timing")
	kind := ""
	switch strings.ToLower(timing) {
	case "standard", "no impact":
		kind = "standard"
	case "normal", "expedited", "latent":
		// Latent changes are recorded after the fact; expedited ones
		// skip steps of a normal change. Neither is an emergency.
		kind = "normal"
	case "emergency":
		kind = "emergency"
	}
	status := strings.ToLower(m.val(r, "change_status"))
	attrs := func(e *ingest.Event) {
		if g := m.val(r, "change_group"); g != "" {
			e.Attributes["assignment_group"] = g
		}
		if timing != "" {
			e.Attributes["change_timing"] = timing
		}
	}
	c := m.base(id+":created", ingest.TypeChangeRequestCreated, id, created)
	c.Kind = kind
	c.Service = m.service(r, "change_service")
	attrs(&c)
	out := []ingest.Event{c}
	if approvedStatuses[status] {
		t, ok, err := m.time(r, "approved")
		if err != nil {
			return nil, err
		}
		if ok {
			a := m.base(id+":approved", ingest.TypeChangeRequestApproved, id, t)
			a.Automated = kind == "standard"
			attrs(&a)
			out = append(out, a)
		}
	}
	reason := m.val(r, "change_reason")
	if (status == "completed" || status == "closed") && reason != "" {
		outcome := ""
		switch {
		case fold(m.o.SuccessfulStatusReasons, reason):
			outcome = "success"
		case fold(m.o.FailedStatusReasons, reason):
			outcome = "failure"
		}
		if outcome != "" {
			t, err := m.firstTime(r, "completed", "actual_end", "modified")
			if err != nil {
				return nil, err
			}
			if t.IsZero() {
				return nil, fmt.Errorf("%w: %s %s: missing on a completed change (and no %s or %s)", ingest.ErrPayload, id, m.f("completed"), m.f("actual_end"), m.f("modified"))
			}
			cl := m.base(id+":closed", ingest.TypeChangeRequestClosed, id, t)
			cl.Outcome = outcome
			cl.Attributes["status_reason"] = reason
			attrs(&cl)
			out = append(out, cl)
		}
	}
	return finish(id, out)
}

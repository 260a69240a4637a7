package servicenow

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// Incident states (the incident table's state choices).
const (
	stateNew        = 1
	stateInProgress = 2
	stateOnHold     = 3
	stateResolved   = 6
	stateClosed     = 7
	stateCanceled   = 8
)

// maxReopens caps the reopened events of one record, so a corrupt
// reopen_count cannot flood a batch.
const maxReopens = 50

var incidentStates = map[string]int{
	"new": stateNew, "in progress": stateInProgress, "on hold": stateOnHold,
	"resolved": stateResolved, "closed": stateClosed, "canceled": stateCanceled, "cancelled": stateCanceled,
}

func incidentState(r record) int {
	for _, name := range []string{"state", "incident_state"} {
		f := r.fields[name]
		if n, err := strconv.Atoi(f.v); err == nil {
			return n
		}
		for _, s := range []string{f.v, f.d} {
			if n, ok := incidentStates[strings.ToLower(s)]; ok {
				return n
			}
		}
	}
	return 0
}

// incident yields opened, and, as the record shows them, acknowledged,
// resolved and reopened. Canceled incidents yield opened only: they were
// reported but never fixed, so they stay out of MTTR, SLA and first-time fix.
func (w *Webhook) incident(r record, number string) ([]ingest.Event, error) {
	opened, field, err := w.firstTime(r, "opened_at", "sys_created_on")
	if err != nil {
		return nil, err
	}
	if field == "" {
		return nil, fmt.Errorf("%w: %s.opened_at: missing (and no sys_created_on)", ingest.ErrPayload, orBody(r.path))
	}
	state := incidentState(r)
	updated, _, err := w.firstTime(r, "sys_updated_on")
	if err != nil {
		return nil, err
	}
	resolved, _, err := w.firstTime(r, "resolved_at", "closed_at")
	if err != nil {
		return nil, err
	}

	e := w.base(r, number, ingest.TypeIncidentOpened, opened)
	e.ID = number + ":opened"
	e.Service = w.service(r)
	e.Priority = priority(r)
	if c := r.disp("caused_by"); c != "" {
		if e.Links == nil {
			e.Links = map[string]string{}
		}
		e.Links["change_request"] = c
	}
	for _, a := range []string{"category", "urgency", "impact"} {
		if v := r.disp(a); v != "" {
			e.Attributes[a] = v
		}
	}
	out := []ingest.Event{e}

	// Acknowledged: work_start when set; otherwise the update that moved
	// the incident past New. A record already resolved without work_start
	// cannot have been acknowledged after it was resolved, so the time is
	// capped at the resolution.
	if state != stateCanceled {
		ack, ok, err := w.time(r, "work_start")
		if err != nil {
			return nil, err
		}
		if !ok && state >= stateInProgress && !updated.IsZero() {
			ack, ok = updated, true
			if state >= stateResolved && !resolved.IsZero() && resolved.Before(ack) {
				ack = resolved
			}
		}
		if ok {
			a := w.base(r, number, ingest.TypeIncidentAcknowledged, ack)
			a.ID = number + ":acknowledged"
			out = append(out, a)
		}
	}

	if state == stateResolved || state == stateClosed {
		t := resolved
		if t.IsZero() {
			t = updated
		}
		if t.IsZero() {
			return nil, fmt.Errorf("%w: %s.resolved_at: missing on a resolved incident (and no closed_at or sys_updated_on)", ingest.ErrPayload, orBody(r.path))
		}
		res := w.base(r, number, ingest.TypeIncidentResolved, t)
		res.ID = number + ":resolved:" + stamp(t)
		code := r.disp("close_code")
		if code != "" {
			res.Attributes["close_code"] = r.val("close_code")
		}
		f := r.fields["resolved_by"]
		res.Automated = fold(w.o.AutomationUsers, f.v) || fold(w.o.AutomationUsers, f.d) ||
			fold(w.o.AutomatedCloseCodes, r.val("close_code")) || fold(w.o.AutomatedCloseCodes, code)
		out = append(out, res)
	}

	if n, _ := strconv.Atoi(r.val("reopen_count")); n > 0 {
		t, _, err := w.firstTime(r, "reopened_time", "sys_updated_on")
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, fmt.Errorf("%w: %s.reopened_time: missing with reopen_count %d (and no sys_updated_on)", ingest.ErrPayload, orBody(r.path), n)
		}
		for k := 1; k <= min(n, maxReopens); k++ {
			ro := w.base(r, number, ingest.TypeIncidentReopened, t)
			ro.ID = fmt.Sprintf("%s:reopened:%d", number, k)
			out = append(out, ro)
		}
	}
	return out, nil
}

// priority maps 1..5 ("1", 1.0 or "1 - Critical") to P1..P5.
func priority(r record) string {
	for _, s := range []string{r.val("priority"), r.disp("priority")} {
		s = strings.TrimSpace(s)
		if s != "" && s[0] >= '1' && s[0] <= '5' && (len(s) == 1 || !isDigit(s[1])) {
			return "P" + s[:1]
		}
	}
	return ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

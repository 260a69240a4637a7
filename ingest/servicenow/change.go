package servicenow

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// Change request states (change_request.state choices).
const (
	changeClosed   = 3
	changeCanceled = 4
)

func changeState(r record) int {
	f := r.fields["state"]
	if n, err := strconv.Atoi(f.v); err == nil {
		return n
	}
	for _, s := range []string{f.v, f.d} {
		switch strings.ToLower(s) {
		case "closed":
			return changeClosed
		case "canceled", "cancelled":
			return changeCanceled
		}
	}
	return 0
}

// change yields created, approved when approval is approved, and closed
// when the change is closed or has a close code.
//
// Outcome: close codes in Options.SuccessfulCloseCodes (default
// "successful") are a success; every other code, "successful_issues"
// included, is a failure: a change closed "with issues" needed remedial
// work, and counting it a success would hide exactly what the change
// success rate is there to show. A closed change without a close code, and
// a canceled change, yield no closed event: there is no outcome to count.
func (w *Webhook) change(r record, number string) ([]ingest.Event, error) {
	created, field, err := w.firstTime(r, "opened_at", "sys_created_on")
	if err != nil {
		return nil, err
	}
	if field == "" {
		return nil, fmt.Errorf("%w: %s.opened_at: missing (and no sys_created_on)", ingest.ErrPayload, orBody(r.path))
	}
	kind := strings.ToLower(r.val("type"))
	if kind == "" {
		kind = strings.ToLower(r.disp("type"))
	}
	switch kind {
	case "standard", "normal", "emergency":
	default:
		kind = ""
	}
	svc := ""
	for _, n := range []string{"cmdb_ci", "business_service"} {
		if r.fields[n].v != "" || r.fields[n].d != "" {
			svc = w.service(r)
			break
		}
	}

	c := w.base(r, number, ingest.TypeChangeRequestCreated, created)
	c.ID = number + ":created"
	c.Kind = kind
	c.Service = svc
	if t := r.disp("type"); t != "" {
		c.Attributes["type"] = t
	}
	out := []ingest.Event{c}

	if strings.EqualFold(r.val("approval"), "approved") || strings.EqualFold(r.disp("approval"), "approved") {
		t, _, err := w.firstTime(r, w.o.ApprovedTimeField, "sys_updated_on")
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, fmt.Errorf("%w: %s.%s: missing on an approved change (and no sys_updated_on)", ingest.ErrPayload, orBody(r.path), w.o.ApprovedTimeField)
		}
		a := w.base(r, number, ingest.TypeChangeRequestApproved, t)
		a.ID = number + ":approved"
		// A standard change is pre-approved by its template: no person decided.
		a.Automated = kind == "standard"
		out = append(out, a)
	}

	state := changeState(r)
	code := r.val("close_code")
	if code == "" {
		code = r.disp("close_code")
	}
	if state != changeCanceled && code != "" {
		t, _, err := w.firstTime(r, "closed_at", "work_end", "sys_updated_on")
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, fmt.Errorf("%w: %s.closed_at: missing on a closed change (and no work_end or sys_updated_on)", ingest.ErrPayload, orBody(r.path))
		}
		cl := w.base(r, number, ingest.TypeChangeRequestClosed, t)
		cl.ID = number + ":closed"
		cl.Outcome = "failure"
		if fold(w.o.SuccessfulCloseCodes, code) {
			cl.Outcome = "success"
		}
		cl.Attributes["close_code"] = code
		out = append(out, cl)
	}
	return out, nil
}

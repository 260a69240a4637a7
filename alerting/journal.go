package alerting

import (
	"context"
	"fmt"
	"time"

	"github.com/throughline/throughline/queries"
)

// delivered files a successful attempt.
func (e *Engine) delivered(j *job, at time.Time, status int, took int64) {
	e.m.deliveries.WithLabelValues(j.Kind, j.Target, "delivered").Inc()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.Deliveries = append(e.st.Deliveries, DeliveryRecord{Time: at, Job: j.ID, Kind: j.Kind, Target: j.Target,
		Attempt: j.Attempts, Status: status, Outcome: "delivered", DurationMS: took})
	r := AuditRecord{Event: "notification.delivered", Fingerprint: j.Fingerprint, Target: j.Target,
		Detail: fmt.Sprintf("%s after %d attempt(s)", j.ID, j.Attempts)}
	if j.Kind == KindAction {
		r.Event = "action.delivered"
		if act := e.st.Actions[j.ActionID]; act != nil {
			if act.State == ActionSent {
				act.State = ActionDelivered
			}
			r = e.auditBase(act)
			r.Event, r.Detail = "action.delivered", fmt.Sprintf("HTTP %d after %d attempt(s)", status, j.Attempts)
		}
	}
	e.auditLocked(r)
	e.saveLocked()
}

// deadJob dead-letters a job: it moves to the outbox's dead/ directory.
func (e *Engine) deadJob(j *job, at time.Time, status int, msg string, took int64) {
	if err := e.outbox.dead(j); err != nil {
		e.log.Error("dead-letter failed", "job", j.ID, "err", err)
	}
	e.m.deliveries.WithLabelValues(j.Kind, j.Target, "dead").Inc()
	e.log.Warn("delivery dead-lettered", "job", j.ID, "kind", j.Kind, "target", j.Target, "err", msg)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.Deliveries = append(e.st.Deliveries, DeliveryRecord{Time: at, Job: j.ID, Kind: j.Kind, Target: j.Target,
		Attempt: j.Attempts, Status: status, Outcome: "dead", Error: msg, DurationMS: took})
	r := AuditRecord{Event: "notification.dead", Fingerprint: j.Fingerprint, Target: j.Target, Detail: msg}
	if act := e.st.Actions[j.ActionID]; j.Kind == KindAction && act != nil {
		act.State, act.Reason = ActionFailed, msg
		r = e.auditBase(act)
		r.Event, r.Detail = "action.failed", msg
	}
	e.auditLocked(r)
	e.saveLocked()
}

// dropJob removes an action job that must not go out any more.
func (e *Engine) dropJob(j *job, why string) {
	if err := e.outbox.done(j); err != nil {
		e.log.Error("outbox remove failed", "job", j.ID, "err", err)
	}
	e.m.deliveries.WithLabelValues(j.Kind, j.Target, "dropped").Inc()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.Deliveries = append(e.st.Deliveries, DeliveryRecord{Time: e.now(), Job: j.ID, Kind: j.Kind, Target: j.Target,
		Attempt: j.Attempts, Outcome: "dropped", Error: why})
	if act := e.st.Actions[j.ActionID]; act != nil {
		act.State, act.Reason = ActionSuppressed, why
		r := e.auditBase(act)
		r.Event, r.Detail = "action.suppressed", why
		e.auditLocked(r)
	}
	e.saveLocked()
}

func (e *Engine) recordDelivery(r DeliveryRecord) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.Deliveries = append(e.st.Deliveries, r)
	e.saveLocked()
}

var (
	auditColumns = []string{"time", "seq", "id", "event", "fingerprint", "rule", "action_id", "trigger_name", "target", "actor", "detail"}
	deliveryCols = []string{"time", "seq", "job", "kind", "target", "attempt", "status", "outcome", "error", "duration_ms", "next"}
)

// Flush writes the audit and delivery records waiting in the state to
// ClickHouse. They leave the state only once written, so nothing is lost
// while ClickHouse is away (a record may be written twice after a crash at
// the wrong moment; the id tells them apart).
func (e *Engine) Flush(ctx context.Context) error {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	e.mu.Lock()
	audit := append([]AuditRecord(nil), e.st.Audit...)
	dels := append([]DeliveryRecord(nil), e.st.Deliveries...)
	e.mu.Unlock()
	if len(audit) == 0 && len(dels) == 0 {
		return nil
	}
	if len(audit) > 0 {
		rows := make([][]any, len(audit))
		for i, r := range audit {
			rows[i] = []any{r.Time, uint64(r.Time.UnixNano()), r.ID, r.Event, r.Fingerprint, r.Rule, r.ActionID,
				r.Trigger, r.Target, r.Actor, r.Detail}
		}
		if err := e.o.Store.Insert(ctx, "alert_audit", auditColumns, rows); err != nil {
			return fmt.Errorf("write audit trail: %w", err)
		}
		written := make(map[string]bool, len(audit))
		for _, r := range audit {
			written[r.ID] = true
		}
		e.mu.Lock()
		// The written records go, by identity: records appended meanwhile
		// stay, and so do all of them if the slice was trimmed meanwhile.
		kept := e.st.Audit[:0]
		for _, r := range e.st.Audit {
			if !written[r.ID] {
				kept = append(kept, r)
			}
		}
		e.st.Audit = kept
		e.saveLocked()
		e.mu.Unlock()
	}
	if len(dels) > 0 {
		rows := make([][]any, len(dels))
		for i, r := range dels {
			next := r.Next
			if next.IsZero() {
				next = time.Unix(0, 0).UTC()
			}
			rows[i] = []any{r.Time, uint64(r.Time.UnixNano()), r.Job, r.Kind, r.Target, uint64(max(r.Attempt, 0)),
				uint64(max(r.Status, 0)), r.Outcome, r.Error, uint64(max(r.DurationMS, 0)), next}
		}
		if err := e.o.Store.Insert(ctx, "alert_deliveries", deliveryCols, rows); err != nil {
			return fmt.Errorf("write delivery log: %w", err)
		}
		key := func(r DeliveryRecord) string { return fmt.Sprint(r.Job, "\x00", r.Attempt, "\x00", r.Time.UnixNano()) }
		written := make(map[string]bool, len(dels))
		for _, r := range dels {
			written[key(r)] = true
		}
		e.mu.Lock()
		kept := e.st.Deliveries[:0]
		for _, r := range e.st.Deliveries {
			if !written[key(r)] {
				kept = append(kept, r)
			}
		}
		e.st.Deliveries = kept
		e.saveLocked()
		e.mu.Unlock()
	}
	return nil
}

// AuditQuery selects audit records.
type AuditQuery struct {
	From, To    time.Time
	Fingerprint string
	ActionID    string
	Event       string
	Limit       int
}

// Audit returns audit records, newest first.
func (e *Engine) Audit(ctx context.Context, q AuditQuery) ([]AuditRecord, error) {
	if err := e.Flush(ctx); err != nil {
		e.log.Debug("audit flush before read failed", "err", err)
	}
	res, err := e.o.Store.Query(ctx, "alerting/audit.sql", queries.Params{
		"from": q.From, "to": q.To, "fingerprint": q.Fingerprint, "action_id": q.ActionID,
		"event": q.Event, "limit": q.Limit,
	})
	if err != nil {
		return nil, err
	}
	out := make([]AuditRecord, res.Len())
	for i := range out {
		out[i] = AuditRecord{Time: res.Time(i, "time"), ID: res.String(i, "id"), Event: res.String(i, "event"),
			Fingerprint: res.String(i, "fingerprint"), Rule: res.String(i, "rule"), ActionID: res.String(i, "action_id"),
			Trigger: res.String(i, "trigger"), Target: res.String(i, "target"), Actor: res.String(i, "actor"),
			Detail: res.String(i, "detail")}
	}
	return out, nil
}

// DeliveryQuery selects delivery log records.
type DeliveryQuery struct {
	From, To time.Time
	Target   string
	Job      string
	Limit    int
}

// Deliveries returns delivery attempts, newest first.
func (e *Engine) Deliveries(ctx context.Context, q DeliveryQuery) ([]DeliveryRecord, error) {
	if err := e.Flush(ctx); err != nil {
		e.log.Debug("delivery log flush before read failed", "err", err)
	}
	res, err := e.o.Store.Query(ctx, "alerting/deliveries.sql", queries.Params{
		"from": q.From, "to": q.To, "target": q.Target, "job": q.Job, "limit": q.Limit,
	})
	if err != nil {
		return nil, err
	}
	out := make([]DeliveryRecord, res.Len())
	for i := range out {
		r := DeliveryRecord{Time: res.Time(i, "time"), Job: res.String(i, "job"), Kind: res.String(i, "kind"),
			Target: res.String(i, "target"), Attempt: int(res.Int(i, "attempt")), Status: int(res.Int(i, "status")),
			Outcome: res.String(i, "outcome"), Error: res.String(i, "error"), DurationMS: res.Int(i, "duration_ms")}
		if n := res.Time(i, "next"); n.Unix() > 0 {
			r.Next = n
		}
		out[i] = r
	}
	return out, nil
}

package alerting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

// templateData is what action templates see.
type templateData struct {
	Alert       Alert
	ActionID    string
	Trigger     string
	CallbackURL string
}

func render(tpl string, d templateData) (string, error) {
	t, err := parseTemplate(tpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// triggerLocked decides, for each trigger matching a newly firing alert,
// whether to act: the first guardrails (kill switch, dedupe) now, the
// others when the action is due.
func (e *Engine) triggerLocked(a *Alert, now time.Time) {
	for _, t := range e.cfg.Triggers {
		if !matches(t.Match, a.Labels) {
			continue
		}
		id := messageID(t.Name, a.Fingerprint, a.episode().Format(time.RFC3339Nano))[4:]
		if _, seen := e.st.Actions[id]; seen {
			continue // this episode was decided already (a re-sent alert)
		}
		act := &Action{ID: id, Trigger: t.Name, Type: t.Action.Type, Fingerprint: a.Fingerprint,
			Episode: a.episode(), Created: now, DueAt: now.Add(t.Guardrails.PendingFor.D())}
		act.Target = e.targetOf(t, a)
		e.st.Actions[id] = act
		base := AuditRecord{Fingerprint: a.Fingerprint, Rule: a.Rule, ActionID: id, Trigger: t.Name, Target: act.Target}
		if e.st.KillSwitch.Engaged || e.st.KillSwitch.Config {
			e.suppressLocked(act, base, "kill switch engaged")
			continue
		}
		if t.Guardrails.Dedupe == nil || *t.Guardrails.Dedupe {
			if other := e.openActionLocked(t.Name, a.Fingerprint, id); other != nil {
				e.suppressLocked(act, base, fmt.Sprintf("duplicate: action %s for this alert is still %s", other.ID, other.State))
				continue
			}
		}
		if t.Guardrails.PendingFor > 0 {
			act.State = ActionPending
			r := base
			r.Event, r.Detail = "action.pending", "waits "+t.Guardrails.PendingFor.D().String()+" (pending_for) before it runs"
			e.auditLocked(r)
			continue
		}
		e.proceedLocked(act, t, now)
	}
}

// targetOf renders the trigger's target: what the action acts upon.
func (e *Engine) targetOf(t Trigger, a *Alert) string {
	if t.Target != "" {
		if s, err := render(t.Target, templateData{Alert: *a, Trigger: t.Name}); err == nil && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	if s := a.Labels["service"]; s != "" {
		return s
	}
	return a.Fingerprint
}

// openActionLocked finds another unfinished action of the trigger on the
// fingerprint.
func (e *Engine) openActionLocked(trigger, fp, except string) *Action {
	for _, id := range sortedKeys(e.st.Actions) {
		o := e.st.Actions[id]
		if o.ID != except && o.Trigger == trigger && o.Fingerprint == fp && o.open() {
			return o
		}
	}
	return nil
}

func (e *Engine) suppressLocked(act *Action, base AuditRecord, why string) {
	act.State, act.Reason = ActionSuppressed, why
	base.Event, base.Detail = "action.suppressed", why
	e.auditLocked(base)
	e.m.actions.WithLabelValues(act.Trigger, "suppressed").Inc()
}

func (e *Engine) auditBase(act *Action) AuditRecord {
	rule := ""
	if a := e.st.Alerts[act.Fingerprint]; a != nil {
		rule = a.Rule
	}
	return AuditRecord{Fingerprint: act.Fingerprint, Rule: rule, ActionID: act.ID, Trigger: act.Trigger, Target: act.Target}
}

// proceedLocked runs a due action: it asks for approval when the trigger
// needs one, else executes it.
func (e *Engine) proceedLocked(act *Action, t Trigger, now time.Time) {
	a := e.st.Alerts[act.Fingerprint]
	base := e.auditBase(act)
	if a == nil || a.State != StateFiring || !a.episode().Equal(act.Episode) {
		act.State, act.Reason = ActionCancelled, "the alert cleared before the action was due"
		base.Event, base.Detail = "action.cancelled", act.Reason
		e.auditLocked(base)
		return
	}
	if t.Guardrails.Approval && act.ApprovedBy == "" {
		act.State = ActionAwaitingApproval
		act.ExpiresAt = timePtr(now.Add(t.Guardrails.ApprovalTimeout.D()))
		base.Event = "action.approval_requested"
		base.Detail = "approve: " + e.cfg.ExternalURL + "/api/v1/alerts/actions/" + act.ID + "/approve"
		e.auditLocked(base)
		e.m.actions.WithLabelValues(act.Trigger, "awaiting_approval").Inc()
		if !act.Created.Equal(now) && a.Source == "rule" {
			// The firing notification went out without the link: send it.
			e.notifyLocked(a, now, "approval:"+act.ID)
		}
		return
	}
	e.executeLocked(act, t, a, now)
}

// executeLocked checks the rate guardrails and calls the action (through
// the outbox) or records the dry run.
func (e *Engine) executeLocked(act *Action, t Trigger, a *Alert, now time.Time) {
	base := e.auditBase(act)
	g := t.Guardrails
	if e.st.KillSwitch.Engaged || e.st.KillSwitch.Config {
		e.suppressLocked(act, base, "kill switch engaged")
		return
	}
	var lastOnTarget time.Time
	hour, dayRuns := 0, 0
	for _, o := range e.st.Actions {
		if o.Trigger != t.Name || o.RanAt == nil || o.ID == act.ID {
			continue
		}
		if o.Target == act.Target && o.RanAt.After(lastOnTarget) {
			lastOnTarget = *o.RanAt
		}
		if now.Sub(*o.RanAt) < time.Hour {
			hour++
		}
		if now.Sub(*o.RanAt) < 24*time.Hour {
			dayRuns++
		}
	}
	switch {
	case g.Cooldown > 0 && !lastOnTarget.IsZero() && now.Sub(lastOnTarget) < g.Cooldown.D():
		e.suppressLocked(act, base, fmt.Sprintf("cooldown: ran on %s at %s; the next run may start at %s",
			act.Target, lastOnTarget.Format(time.RFC3339), lastOnTarget.Add(g.Cooldown.D()).Format(time.RFC3339)))
		return
	case g.MaxPerHour > 0 && hour >= g.MaxPerHour:
		e.suppressLocked(act, base, fmt.Sprintf("rate limit: %d runs in the last hour (max_per_hour %d)", hour, g.MaxPerHour))
		return
	case g.MaxPerDay > 0 && dayRuns >= g.MaxPerDay:
		e.suppressLocked(act, base, fmt.Sprintf("rate limit: %d runs in the last 24 hours (max_per_day %d)", dayRuns, g.MaxPerDay))
		return
	}
	act.RanAt = timePtr(now)
	if g.DryRun {
		act.State = ActionDryRun
		base.Event = "action.dry_run"
		base.Detail = fmt.Sprintf("dry run: would call %s %s", t.Action.Type, redactURL(t.Action.URL))
		e.auditLocked(base)
		e.m.actions.WithLabelValues(act.Trigger, "dry_run").Inc()
		return
	}
	body, err := e.actionBody(t, a, act, "trigger")
	if err != nil {
		act.State, act.Reason = ActionFailed, "body template: "+err.Error()
		base.Event, base.Detail = "action.failed", act.Reason
		e.auditLocked(base)
		return
	}
	act.State = ActionSent
	// The run is recorded (and saved with the state) before the request is
	// queued: after a crash in between, the action is not sent rather than
	// sent twice, the safe side for a runbook.
	e.saveLocked()
	if err := e.outbox.add(job{ID: "act_" + act.ID, Kind: KindAction, Target: t.Name, ActionID: act.ID,
		Fingerprint: act.Fingerprint, Body: body, Created: now, Due: now}); err != nil {
		act.State, act.Reason = ActionFailed, "outbox: "+err.Error()
		base.Event, base.Detail = "action.failed", act.Reason
		e.auditLocked(base)
		return
	}
	base.Event = "action.triggered"
	base.Detail = fmt.Sprintf("%s %s", t.Action.Type, redactURL(t.Action.URL))
	if act.ApprovedBy != "" {
		base.Detail += ", approved by " + act.ApprovedBy
	}
	e.auditLocked(base)
	e.m.actions.WithLabelValues(act.Trigger, "triggered").Inc()
	e.wakeDelivery()
}

// actionBody builds the request body for the action's type; event is
// trigger, or resolve for PagerDuty.
func (e *Engine) actionBody(t Trigger, a *Alert, act *Action, event string) ([]byte, error) {
	d := templateData{Alert: *a, ActionID: act.ID, Trigger: t.Name,
		CallbackURL: e.cfg.ExternalURL + "/api/v1/alerts/runbooks/callback"}
	d.Alert.Annotations = e.annotationsLocked(a)
	generic := map[string]any{"action_id": act.ID, "trigger": t.Name, "target": act.Target,
		"callback_url": d.CallbackURL, "alert": d.Alert}
	renderMap := func(m map[string]string) (map[string]string, error) {
		out := map[string]string{}
		for k, v := range m {
			s, err := render(v, d)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = s
		}
		return out, nil
	}
	switch t.Action.Type {
	case ActionWebhook:
		if t.Action.Body != "" {
			s, err := render(t.Action.Body, d)
			return []byte(s), err
		}
		return marshal(generic)
	case ActionRundeck:
		opts, err := renderMap(t.Action.Options)
		if err != nil {
			return nil, err
		}
		generic["options"] = opts
		return marshal(generic)
	case ActionAWX:
		vars, err := renderMap(t.Action.ExtraVars)
		if err != nil {
			return nil, err
		}
		ev := map[string]any{}
		for k, v := range vars {
			ev[k] = v
		}
		ev["throughline_action_id"] = act.ID
		ev["throughline_callback_url"] = d.CallbackURL
		ev["throughline_alert"] = d.Alert
		return marshal(map[string]any{"extra_vars": ev})
	case ActionPagerDuty:
		sev := map[string]string{"critical": "critical", "warning": "warning", "info": "info"}[a.Severity]
		if sev == "" {
			sev = "error"
		}
		summary := a.Explanation
		if summary == "" {
			summary = a.Labels["alertname"]
		}
		if len(summary) > 1024 {
			summary = summary[:1021] + "..."
		}
		msg := map[string]any{"event_action": event, "dedup_key": a.Fingerprint}
		if event == "trigger" {
			msg["payload"] = map[string]any{
				"summary": summary, "source": "throughline", "severity": sev,
				"component": a.Labels["service"], "group": a.Labels["team"], "class": a.Labels["alertname"],
				"custom_details": map[string]any{"labels": a.Labels, "action_id": act.ID},
			}
			msg["links"] = []map[string]string{{"href": e.cfg.ExternalURL + "/api/v1/alerts", "text": "Throughline alerts"}}
		}
		return marshal(msg)
	}
	return marshal(generic) // stackstorm, eda
}

// onResolvedLocked settles the actions of an alert that cleared: waiting
// ones are cancelled; one that ran within resolve_within resolved it.
func (e *Engine) onResolvedLocked(a *Alert, at time.Time) {
	for _, id := range sortedKeys(e.st.Actions) {
		act := e.st.Actions[id]
		// Only this episode's actions: those of an earlier firing were
		// settled (and their PagerDuty incidents resolved) when it cleared.
		if act.Fingerprint != a.Fingerprint || !act.Episode.Equal(a.episode()) {
			continue
		}
		base := e.auditBase(act)
		switch act.State {
		case ActionPending, ActionAwaitingApproval:
			act.State, act.Reason = ActionCancelled, "the alert cleared first"
			base.Event, base.Detail = "action.cancelled", act.Reason
			e.auditLocked(base)
		case ActionSent, ActionDelivered:
			t, ok := e.triggers[act.Trigger]
			if act.Outcome == "" && ok && act.RanAt != nil && !at.Before(*act.RanAt) && at.Sub(*act.RanAt) <= t.Guardrails.ResolveWithin.D() {
				e.outcomeLocked(act, "resolved", fmt.Sprintf("the alert cleared %s after the action ran", at.Sub(*act.RanAt).Round(time.Second)), "throughline", at)
			}
			if ok && t.Action.Type == ActionPagerDuty {
				body, err := e.actionBody(t, a, act, "resolve")
				if err == nil {
					_ = e.outbox.add(job{ID: "act_" + act.ID + "_resolve", Kind: KindAction, Target: t.Name,
						ActionID: act.ID, Fingerprint: a.Fingerprint, Body: body, Created: at, Due: at})
				}
			}
		}
	}
}

// outcomeLocked records how an action ended. A success on an alert that
// opened an incident resolves the incident as automated, so it counts in
// self_heal_rate.
func (e *Engine) outcomeLocked(act *Action, outcome, detail, actor string, at time.Time) {
	act.Outcome, act.OutcomeAt, act.Detail = outcome, timePtr(at), detail
	base := e.auditBase(act)
	base.Event, base.Detail, base.Actor = "action.outcome", outcome+": "+detail, actor
	e.auditLocked(base)
	e.m.actions.WithLabelValues(act.Trigger, "outcome_"+outcome).Inc()
}

// selfHealEvents are the events an automated resolution emits.
func (e *Engine) selfHealEvents(act *Action, at time.Time) []ingest.Event {
	a := e.st.Alerts[act.Fingerprint]
	if a == nil || a.Incident == "" {
		return nil
	}
	ev := ingest.Event{
		// The id Alertmanager's own resolution of the incident would carry,
		// so the incident resolves once whichever arrives first.
		ID: a.Incident + ":resolved", Source: "alertmanager", Type: ingest.TypeIncidentResolved,
		Time: at, Subject: a.Incident, Service: a.Labels["service"], Automated: true,
		Attributes: map[string]string{"runbook": act.Trigger, "action_id": act.ID},
	}
	ev.Normalize()
	return []ingest.Event{ev}
}

// Tick runs the guardrail timers at the clock's time: pending actions that
// are due, approvals that expired, outcomes that did not come in time.
func (e *Engine) Tick() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	changed := false
	for _, id := range sortedKeys(e.st.Actions) {
		act := e.st.Actions[id]
		t, ok := e.triggers[act.Trigger]
		switch {
		case !ok:
			continue
		case act.State == ActionPending && !now.Before(act.DueAt):
			e.proceedLocked(act, t, now)
			changed = true
		case act.State == ActionAwaitingApproval && act.ExpiresAt != nil && !now.Before(*act.ExpiresAt):
			act.State, act.Reason = ActionExpired, "nobody approved it within "+t.Guardrails.ApprovalTimeout.D().String()
			base := e.auditBase(act)
			base.Event, base.Detail = "action.expired", act.Reason
			e.auditLocked(base)
			changed = true
		case (act.State == ActionSent || act.State == ActionDelivered) && act.Outcome == "" && act.RanAt != nil &&
			now.Sub(*act.RanAt) > t.Guardrails.ResolveWithin.D():
			e.outcomeLocked(act, "unresolved", "the alert did not clear within "+t.Guardrails.ResolveWithin.D().String(), "throughline", now)
			changed = true
		}
	}
	if changed {
		e.refreshGauge()
		e.saveLocked()
		e.wakeDelivery()
	}
}

// Errors of the action API.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Decide approves or denies an action awaiting approval, in the name of
// who. An approved action still passes the kill switch, cooldown and rate
// guardrails when it runs.
func (e *Engine) Decide(id, who, comment string, approve bool) (Action, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	act, ok := e.st.Actions[id]
	if !ok {
		return Action{}, fmt.Errorf("%w: no action %q", ErrNotFound, id)
	}
	if act.State != ActionAwaitingApproval {
		return *act, fmt.Errorf("%w: action %s is %s, not awaiting approval", ErrConflict, id, act.State)
	}
	now := e.now()
	base := e.auditBase(act)
	base.Actor, base.Detail = who, comment
	if !approve {
		act.State, act.DeniedBy, act.Reason = ActionDenied, who, comment
		base.Event = "action.denied"
		e.auditLocked(base)
		e.m.actions.WithLabelValues(act.Trigger, "denied").Inc()
	} else {
		act.ApprovedBy = who
		base.Event = "action.approved"
		e.auditLocked(base)
		e.m.actions.WithLabelValues(act.Trigger, "approved").Inc()
		a := e.st.Alerts[act.Fingerprint]
		if a == nil || a.State != StateFiring || !a.episode().Equal(act.Episode) {
			act.State, act.Reason = ActionCancelled, "the alert cleared before approval"
			b := e.auditBase(act)
			b.Event, b.Detail = "action.cancelled", act.Reason
			e.auditLocked(b)
		} else {
			e.executeLocked(act, e.triggers[act.Trigger], a, now)
		}
	}
	e.saveLocked()
	return *act, nil
}

// Callback records an outcome a runbook reported: success or failure.
func (e *Engine) Callback(ctx context.Context, id, status, detail, who string) (Action, error) {
	e.mu.Lock()
	act, ok := e.st.Actions[id]
	if !ok {
		e.mu.Unlock()
		return Action{}, fmt.Errorf("%w: no action %q", ErrNotFound, id)
	}
	if act.RanAt == nil || act.State == ActionDryRun {
		e.mu.Unlock()
		return *act, fmt.Errorf("%w: action %s never ran (%s)", ErrConflict, id, act.State)
	}
	now := e.now()
	if who == "" {
		who = "runbook"
	}
	e.outcomeLocked(act, status, detail, who, now)
	var evs []ingest.Event
	if status == "success" {
		evs = e.selfHealEvents(act, now)
	}
	e.saveLocked()
	out := *act
	e.mu.Unlock()
	if len(evs) > 0 && e.o.Sink != nil {
		if err := e.o.Sink(ctx, evs); err != nil {
			return out, fmt.Errorf("record the automated resolution: %w", err)
		}
	}
	return out, nil
}

// SetKillSwitch engages or releases the kill switch.
func (e *Engine) SetKillSwitch(engaged bool, who, reason string) (KillSwitch, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !engaged && e.st.KillSwitch.Config {
		return e.st.KillSwitch, fmt.Errorf("%w: the configuration engages the kill switch (alerting.kill_switch); change it there", ErrConflict)
	}
	now := e.now()
	ks := &e.st.KillSwitch
	ks.Engaged, ks.By, ks.Reason, ks.Since = engaged, who, reason, timePtr(now)
	ev := "killswitch.released"
	if engaged {
		ev = "killswitch.engaged"
	}
	e.auditLocked(AuditRecord{Event: ev, Actor: who, Detail: reason})
	e.saveLocked()
	return *ks, nil
}

// KillSwitchState returns the kill switch.
func (e *Engine) KillSwitchState() KillSwitch {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.KillSwitch
}

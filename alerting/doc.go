// Package alerting sees trouble coming and calls the runbook: it evaluates
// alert rules over the measures' time series on a cron schedule, keeps
// alerts through their lifecycle (pending, firing, resolved), explains them
// in words a manager reads, notifies receivers through a durable outbox, and
// runs runbook triggers behind guardrails, with an audit trail of every
// decision. It also receives Alertmanager webhooks, whose alerts can open
// incidents and drive the same triggers, and it backtests forecasts and
// detectors on a stored history (`throughline backtest`).
//
// It owns no maths: the measures come from metrics.Computer (a series is the
// measure over consecutive windows), the forecasts, model selection, control
// charts and burn rates from package forecast. It does not serve HTTP itself
// (Engine.Mount gives the server its routes), write events (an injected sink
// does) or read configuration files (the lead embeds Config under
// `alerting:`).
//
// # Rules
//
//	alerting:
//	  schedule: "@hourly"                 # cron: five fields or @hourly, @every 15m
//	  external_url: https://throughline.example.com   # for approve/deny links
//	  rules:
//	    - name: cfr-forecast              # the alertname label
//	      kind: forecast                  # threshold | forecast | anomaly | burn_rate
//	      measure: change_failure_rate    # any measure of the catalogue
//	      group_by: team                  # one alert per service (default), team, product, portfolio
//	      team: ""                        # service, team, product: narrow the scope
//	      target: 0.15                    # forecast: fires when the forecast crosses it within horizon
//	      horizon: 28d
//	      window: 28d                     # each value is the measure over this trailing window
//	      step: 7d                        # spacing of the series (forecast default 7d, anomaly 1d)
//	      history: 182d
//	    - {name: cfr-now, kind: threshold, measure: change_failure_rate, op: ">", threshold: 0.2, for: 2h, severity: critical}
//	    - {name: incident-surge, kind: anomaly, measure: incidents_opened, method: poisson, history: 63d, baseline: 56d, recent: 3d}
//	    - {name: lead-time-shift, kind: anomaly, measure: change_lead_time_median_seconds, method: cusum, window: 7d, step: 7d, history: 126d, baseline: 98d}
//	    - {name: cfr-budget, kind: burn_rate, measure: change_failure_rate, slo: 0.9, windows: [{long: 7d, short: 1d, factor: 2}]}
//
// A forecast rule never names its model: forecast.Select chooses among the
// candidates (naive, simple exponential smoothing, linear, Theta, Holt;
// seasonal naive and Holt-Winters on daily series) by a rolling-origin
// backtest on the series itself, ranked by MASE.
// It fires when the chosen model's forecast crosses the target within the
// horizon. An anomaly rule runs an EWMA or CUSUM chart with the leading
// baseline as the in-control period and fires on a signal in the recent
// steps; or, for counts of events (incidents), the exact Poisson rate test
// (method poisson: the recent steps' count against the baseline's rate,
// firing below the significance alpha, default 0.01), which small counts
// need: a chart's normal limits take one busy week of a quiet service for a
// three-sigma event. alpha is the false-alarm rate of one group at one
// evaluation: with many services, or incidents that come in clusters
// rather than one at a time, choose it smaller. A burn-rate rule applies the multiwindow, multi-burn-rate rule of
// the SRE workbook (default 1h/5m at 14.4, 6h/30m at 6, 3d/6h at 1) to a
// ratio measure (success_ratio: true for a success ratio such as
// sla_compliance_rate).
//
// An alert's fingerprint is the hash of its rule's name and its sorted
// labels (alertname, severity, measure, the scope's group and the rule's
// labels), so it is stable across evaluations and restarts. A group the
// series has no verdict on (too little data) keeps its alert's state:
// absence of evidence resolves nothing.
//
// # Notifications
//
// Receivers take Alertmanager webhook JSON (version 4) or CloudEvents 1.0
// (structured JSON). Each request is signed the Standard Webhooks way:
// webhook-id (the same on every attempt, so a receiver can drop a repeat),
// webhook-timestamp and webhook-signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>" under the receiver's whsec_ secret. Notifications wait
// in an outbox of files under DataDir (one fsynced file per message), leave
// it only when a receiver answers 2xx, or 410 Gone, or when
// dead_letter_after has passed (then they move to outbox/dead), and are
// retried with exponential backoff and jitter, honouring Retry-After on 429
// and 503. Redirects are not followed: a 3xx is a failed attempt. One
// receiver's messages go out in order. A message is delivered at least
// once: a crash between a receiver's 2xx and the removal of the file sends
// it again, with the same webhook-id; a crash in the instant between
// queueing a firing notification and saving the alert's state sends the
// firing again after the restart, under a new id (the alert starts anew).
//
// # Runbook triggers
//
//	triggers:
//	  - name: rollback-checkout
//	    match: {alertname: cfr-now, service: checkout}   # label equality, at least one label
//	    target: "{{.Alert.Labels.service}}"            # what it acts on: the cooldown's key
//	    action: {type: rundeck, url: "https://rundeck/api/41/job/ID/run", token: "${RUNDECK_TOKEN}",
//	             options: {service: "{{.Alert.Labels.service}}"}}
//	    guardrails: {pending_for: 10m, cooldown: 1h, max_per_hour: 2, max_per_day: 6,
//	                 approval: true, approval_timeout: 4h, dry_run: false, resolve_within: 30m}
//
// Actions: webhook (templated body, optionally signed), rundeck
// (X-Rundeck-Auth-Token, job options), stackstorm (St2-Api-Key), awx (job
// template launch with extra_vars, Bearer token), eda (event stream, Bearer
// token or signature) and pagerduty (Events v2; the alert's resolution
// resolves the PagerDuty alert). Every body carries the action's id and the
// callback URL.
//
// Guardrails, in the order they are checked: the kill switch (API or
// configuration); dedupe (one open action per trigger and fingerprint, one
// decision per alert episode); pending_for (the alert must still fire when
// it has passed); approval (POST .../actions/{id}/approve or deny with the
// approver's name; the links are in the notification); then, when the
// action would run, the kill switch again, the cooldown per target and the
// hourly and daily limits per trigger; dry_run records the decision and
// calls nothing (it counts towards cooldowns and limits). A run is recorded
// in the state before its request is queued, so after a crash a runbook is
// skipped rather than run twice. The outcome comes from the runbook's
// callback (success or failure) or from the alert clearing within
// resolve_within (resolved; unresolved otherwise). A successful callback on
// an alert that opened an incident resolves the incident with automated:
// true, so it counts in self_heal_rate.
//
// # State and audit
//
// DataDir/state.json holds the alerts, actions and kill switch, rewritten
// atomically after each change; one Engine per directory. Every decision
// (alert pending, firing, resolved; action suppressed and why, pending,
// awaiting approval, approved or denied and by whom, triggered, delivered,
// failed, outcome; notification queued, delivered, dead; kill switch) is an
// audit record saved with the change it records and then written to the
// alert_audit table; each delivery attempt goes to alert_deliveries. Both
// are read through the API.
//
// # HTTP (Engine.Mount, under /api/v1)
//
//	GET  /alerts                          alerts with their actions (?state=, ?rule=, ?fingerprint=)
//	POST /alerts/webhook                  Alertmanager webhook (version 4)
//	GET  /alerts/audit                    the audit trail (?from, to, fingerprint, action_id, event, limit)
//	GET  /alerts/deliveries               the delivery log and the outbox depth
//	POST /alerts/actions/{id}/approve     {"approver": "alice", "comment": "..."}
//	POST /alerts/actions/{id}/deny
//	GET  /alerts/killswitch, POST /alerts/killswitch   {"engaged": true, "by": "alice", "reason": "..."}
//	POST /alerts/runbooks/callback        {"action_id": "...", "status": "success|failure", "detail": "..."}
//
// Metrics (on Options.Registry): throughline_alerts{state,rule,severity},
// throughline_alert_deliveries_total{kind,target,outcome},
// throughline_alert_actions_total{trigger,decision},
// throughline_alert_rule_evaluations_total{rule,result} and
// throughline_alert_outbox_jobs.
package alerting

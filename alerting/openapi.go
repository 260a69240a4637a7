package alerting

// openAPIPaths are the OpenAPI 3.1 path items of the alerting endpoints,
// merged into the server's document. Schemas are inline: they are this
// package's, not the server's.
func openAPIPaths() map[string]any {
	errRef := map[string]any{"$ref": "#/components/responses/Error"}
	str := map[string]any{"type": "string"}
	strNull := map[string]any{"type": []any{"string", "null"}}
	timeS := map[string]any{"type": "string", "format": "date-time"}
	labels := map[string]any{"type": "object", "additionalProperties": str}
	action := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"id": str, "trigger": str, "type": str, "fingerprint": str, "episode": timeS, "target": str,
			"state": map[string]any{"type": "string", "enum": []any{
				ActionPending, ActionAwaitingApproval, ActionSuppressed, ActionCancelled, ActionDenied,
				ActionExpired, ActionDryRun, ActionSent, ActionDelivered, ActionFailed}},
			"reason": str, "created": timeS, "due_at": timeS, "expires_at": timeS,
			"approved_by": str, "denied_by": str, "ran_at": timeS,
			"outcome":    map[string]any{"type": "string", "enum": []any{"success", "failure", "resolved", "unresolved"}},
			"outcome_at": timeS, "detail": str,
		},
	}
	alert := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"fingerprint": str, "rule": str,
			"source":   map[string]any{"type": "string", "enum": []any{"rule", "alertmanager"}},
			"state":    map[string]any{"type": "string", "enum": []any{StatePending, StateFiring, StateResolved}},
			"severity": str, "labels": labels, "annotations": labels,
			"explanation": map[string]any{"type": "string", "description": "What is wrong, in words a manager reads."},
			"value":       map[string]any{"type": []any{"number", "null"}},
			"active_at":   timeS, "starts_at": timeS, "ends_at": timeS, "updated_at": timeS, "incident": str,
			"actions": map[string]any{"type": "array", "items": action},
		},
	}
	killSwitch := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"engaged": map[string]any{"type": "boolean"}, "by": str, "reason": str, "since": timeS,
			"config": map[string]any{"type": "boolean", "description": "engaged by the configuration; the API cannot release it"},
		},
	}
	jsonBody := func(schema map[string]any) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	ok := func(desc string, schema map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	q := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": str}
	}
	windowParams := []any{
		q("from", "window start, RFC 3339 or YYYY-MM-DD (default 7 days before to)"),
		q("to", "window end, exclusive (default now)"),
		map[string]any{"name": "limit", "in": "query", "required": false, "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}},
	}
	audit := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"time": timeS, "id": str, "event": str, "fingerprint": str, "rule": str, "action_id": str,
			"trigger": str, "target": str, "actor": str, "detail": str,
		},
	}
	decision := map[string]any{
		"type": "object", "required": []any{"approver"},
		"properties": map[string]any{"approver": map[string]any{"type": "string", "description": "who decides"}, "comment": str},
	}
	idParam := map[string]any{"name": "id", "in": "path", "required": true, "schema": str}
	decide := func(verb string) map[string]any {
		return map[string]any{"post": map[string]any{
			"summary":     verb + " a runbook action awaiting approval",
			"parameters":  []any{idParam},
			"requestBody": jsonBody(decision),
			"responses": map[string]any{
				"200": ok("The action after the decision.", action),
				"400": errRef, "401": errRef, "404": errRef,
				"409": map[string]any{"description": "The action is not awaiting approval."},
			},
		}}
	}
	return map[string]any{
		"/api/v1/alerts": map[string]any{"get": map[string]any{
			"summary": "Alerts (pending, firing, recently resolved) with their runbook actions",
			"parameters": []any{
				q("state", "pending, firing or resolved"), q("rule", "a rule's name"), q("fingerprint", "one alert"),
			},
			"responses": map[string]any{
				"200": ok("Alerts, firing first.", map[string]any{"type": "object", "properties": map[string]any{
					"alerts": map[string]any{"type": "array", "items": alert}, "kill_switch": killSwitch}}),
				"400": errRef, "401": errRef,
			},
		}},
		"/api/v1/alerts/webhook": map[string]any{"post": map[string]any{
			"summary":     "Receive an Alertmanager webhook notification (version 4)",
			"description": "Firing alerts can open incidents (alerting.alertmanager.open_incidents) and drive the runbook triggers, as Throughline's own alerts do.",
			"requestBody": jsonBody(map[string]any{"type": "object", "required": []any{"version", "alerts"}}),
			"responses": map[string]any{
				"200": ok("What was done.", map[string]any{"type": "object", "properties": map[string]any{
					"alerts": map[string]any{"type": "integer"}, "events": map[string]any{"type": "integer"},
					"actions": map[string]any{"type": "array", "items": action}}}),
				"400": errRef, "401": errRef, "413": errRef,
				"503": map[string]any{"description": "The events could not be stored; Alertmanager retries."},
			},
		}},
		"/api/v1/alerts/audit": map[string]any{"get": map[string]any{
			"summary":    "The audit trail: every alerting decision, newest first",
			"parameters": append([]any{q("fingerprint", "one alert"), q("action_id", "one action"), q("event", "one kind of record, e.g. action.suppressed")}, windowParams...),
			"responses": map[string]any{
				"200": ok("Records.", map[string]any{"type": "object", "properties": map[string]any{"records": map[string]any{"type": "array", "items": audit}}}),
				"400": errRef, "401": errRef, "503": errRef,
			},
		}},
		"/api/v1/alerts/deliveries": map[string]any{"get": map[string]any{
			"summary":    "The delivery log: every attempt to deliver a notification or runbook call, newest first",
			"parameters": append([]any{q("target", "a receiver or trigger name"), q("job", "a webhook-id")}, windowParams...),
			"responses": map[string]any{
				"200": ok("Attempts and the outbox depth.", map[string]any{"type": "object", "properties": map[string]any{
					"deliveries": map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
					"outbox":     map[string]any{"type": "integer"}}}),
				"400": errRef, "401": errRef, "503": errRef,
			},
		}},
		"/api/v1/alerts/actions/{id}/approve": decide("Approve"),
		"/api/v1/alerts/actions/{id}/deny":    decide("Deny"),
		"/api/v1/alerts/killswitch": map[string]any{
			"get": map[string]any{
				"summary":   "The runbook kill switch",
				"responses": map[string]any{"200": ok("The switch.", killSwitch), "401": errRef},
			},
			"post": map[string]any{
				"summary": "Engage or release the runbook kill switch",
				"requestBody": jsonBody(map[string]any{"type": "object", "required": []any{"engaged", "by"},
					"properties": map[string]any{"engaged": map[string]any{"type": "boolean"}, "by": str, "reason": str}}),
				"responses": map[string]any{"200": ok("The switch.", killSwitch), "400": errRef, "401": errRef,
					"409": map[string]any{"description": "The configuration engages it."}},
			},
		},
		"/api/v1/alerts/runbooks/callback": map[string]any{"post": map[string]any{
			"summary": "Report a runbook's outcome",
			"requestBody": jsonBody(map[string]any{"type": "object", "required": []any{"action_id", "status"},
				"properties": map[string]any{"action_id": str,
					"status": map[string]any{"type": "string", "enum": []any{"success", "failure"}},
					"detail": str, "by": strNull}}),
			"responses": map[string]any{"200": ok("The action with its outcome.", action), "400": errRef, "401": errRef,
				"404": errRef, "409": map[string]any{"description": "The action never ran."}, "503": errRef},
		}},
	}
}

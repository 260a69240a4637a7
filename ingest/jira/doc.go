// Package jira turns Jira Cloud and Data Center issue webhooks into work
// item events (Flow Framework: created, started, done), or into incident
// events for the issue types of Options.IncidentIssueTypes (Jira Service
// Management's "Incident").
//
// jira:issue_created yields created (incident.opened); jira:issue_updated
// whose changelog moves the status yields started (incident.acknowledged)
// when the new status is in the "In Progress" category (key indeterminate)
// and done (incident.resolved) when it is in the Done category. Everything
// else is ignored with a reason.
//
// Authenticity: Jira Cloud signs with X-Hub-Signature: sha256=<hex HMAC> when
// the webhook has a secret (Options.Secret). Jira Data Center and webhooks of
// apps cannot sign, so Options.Token is accepted in "Authorization: Bearer",
// in X-Throughline-Token, or, through VerifyQuery, in a ?token= parameter of
// the webhook URL (the receiver calls VerifyQuery when Verify fails and the
// request has one, since the Webhook interface sees only headers).
//
// It verifies and decodes; it does not store events or call Jira.
package jira

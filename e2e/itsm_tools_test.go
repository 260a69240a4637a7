package e2e

// Builders of the portfolio, ITSM and incident tools' deliveries, from the
// recorded payloads in testdata/webhooks/<tool>/, as tools_test.go does for
// the delivery tools.

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ---- Jira (Cloud admin webhook, signed) ----

// jiraHook signs with X-Hub-Signature (sha256=) under the webhook secret.
type jiraHook struct{ secret string }

// jiraTime is Jira's "2017-01-30T18:30:41.962+0100", written in the
// site's zone.
func jiraTime(t time.Time) string { return t.In(cest).Format("2006-01-02T15:04:05.000-0700") }

func (j jiraHook) deliver(t testing.TB, what, deliveryID string, doc any) delivery {
	t.Helper()
	body := encode(t, doc)
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Atlassian Webhook HTTP Client")
	h.Set("X-Atlassian-Webhook-Identifier", deliveryID)
	h.Set("X-Hub-Signature", "sha256="+hmacHex(j.secret, body))
	return delivery{what: "jira " + what, path: "/webhooks/jira", header: h, body: body}
}

// issue patches the issue of a recorded Jira delivery.
func jiraIssue(t testing.TB, doc any, id, key, project, issueType string, created, updated time.Time) {
	set(t, doc, "issue.id", id)
	set(t, doc, "issue.key", key)
	set(t, doc, "issue.self", "https://acme.atlassian.net/rest/api/2/issue/"+id)
	set(t, doc, "issue.fields.project.key", project)
	set(t, doc, "issue.fields.project.name", "Shop")
	set(t, doc, "issue.fields.issuetype.name", issueType)
	set(t, doc, "issue.fields.created", jiraTime(created))
	set(t, doc, "issue.fields.updated", jiraTime(updated))
}

// created is jira:issue_created of a new issue in To Do.
func (j jiraHook) created(t testing.TB, deliveryID, id, key, project, issueType, summary string, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/webhooks/jira/jira_issue_created.story.json")
	set(t, doc, "timestamp", when.UnixMilli())
	jiraIssue(t, doc, id, key, project, issueType, when, when)
	set(t, doc, "issue.fields.summary", summary)
	return j.deliver(t, key+" created", deliveryID, doc)
}

// started is jira:issue_updated moving the issue To Do -> In Progress
// (status category indeterminate) at when.
func (j jiraHook) started(t testing.TB, deliveryID, id, key, project, issueType string, created, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/webhooks/jira/jira_issue_updated.status.json")
	set(t, doc, "timestamp", when.UnixMilli())
	jiraIssue(t, doc, id, key, project, issueType, created, when)
	return j.deliver(t, key+" moved to In Progress", deliveryID, doc)
}

// done is jira:issue_updated moving the issue In Progress -> Done
// (status category done), resolved at when.
func (j jiraHook) done(t testing.TB, deliveryID, id, key, project, issueType string, created, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/webhooks/jira/jira_issue_updated.done.json")
	// The webhook fires a moment after the resolution is saved.
	set(t, doc, "timestamp", when.Add(1500*time.Millisecond).UnixMilli())
	jiraIssue(t, doc, id, key, project, issueType, created, when)
	set(t, doc, "issue.fields.resolutiondate", jiraTime(when))
	return j.deliver(t, key+" moved to Done", deliveryID, doc)
}

// ---- ServiceNow (a Business Rule posting the record) ----

// servicenowHook authenticates with the REST Message's basic auth profile.
type servicenowHook struct{ user, password string }

func (s servicenowHook) deliver(t testing.TB, what string, doc any) delivery {
	t.Helper()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.user+":"+s.password)))
	return delivery{what: "servicenow " + what, path: "/webhooks/servicenow", header: h, body: encode(t, doc)}
}

// change is one change request as the Business Rule posts it on each update.
type change struct {
	number, sysID, kind string
	ci, ciSysID, group  string
	opened              time.Time
	approved            time.Time // zero: not approved yet
	closed              time.Time // zero: not closed yet
	closeCode           string
	deployment          string // u_deployment, the deployment that implemented it
}

func (c change) state() (value int, display string) {
	switch {
	case !c.closed.IsZero():
		return 3, "Closed"
	case !c.approved.IsZero():
		return -2, "Scheduled"
	default:
		return -3, "Authorize"
	}
}

func (c change) approval() (value, display string) {
	if c.approved.IsZero() {
		return "requested", "Requested"
	}
	return "approved", "Approved"
}

// tableAPI is the record in the Table API shape with
// sysparm_display_value=all (the recorded GET of a normal change): every
// field a {display_value, value} pair, values of dates in UTC, display
// values in the instance's zone.
func (s servicenowHook) tableAPI(t testing.TB, c change) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/webhooks/servicenow/change_request.get.normal.json")
	pair := func(field, value, display string) {
		set(t, doc, "result."+field, map[string]any{"value": value, "display_value": display})
	}
	date := func(field string, at time.Time) {
		if at.IsZero() {
			set(t, doc, "result."+field, map[string]any{"value": "", "display_value": "", "display_value_internal": ""})
			return
		}
		local := at.In(cest).Format("2006-01-02 15:04:05")
		set(t, doc, "result."+field, map[string]any{
			"value": at.UTC().Format("2006-01-02 15:04:05"), "display_value": local, "display_value_internal": local,
		})
	}
	pair("number", c.number, c.number)
	pair("sys_id", c.sysID, c.sysID)
	pair("task_effective_number", c.number, c.number)
	pair("type", c.kind, strings.ToUpper(c.kind[:1])+c.kind[1:])
	sv, sd := c.state()
	set(t, doc, "result.state", map[string]any{"value": sv, "display_value": sd})
	av, ad := c.approval()
	pair("approval", av, ad)
	pair("cmdb_ci", c.ciSysID, c.ci)
	pair("assignment_group", "019ad92ec7230010393d265c95c260dd", c.group)
	pair("short_description", "Deploy shop-web with the basket", "Deploy shop-web with the basket")
	date("opened_at", c.opened)
	date("sys_created_on", c.opened)
	date("approval_set", c.approved)
	date("closed_at", c.closed)
	date("work_start", time.Time{})
	date("work_end", time.Time{})
	last := c.opened
	for _, x := range []time.Time{c.approved, c.closed} {
		if x.After(last) {
			last = x
		}
	}
	date("sys_updated_on", last)
	pair("close_code", c.closeCode, c.closeCode)
	pair("u_deployment", c.deployment, c.deployment)
	return s.deliver(t, fmt.Sprintf("%s (Table API, %s)", c.number, sd), doc)
}

// plain is the bare record a Business Rule builds with getValue(): plain
// strings, dates in the instance's zone (servicenow.time_zone).
func (s servicenowHook) plain(t testing.TB, c change) delivery {
	t.Helper()
	doc := clone(t, get(t, readDoc(t, "../testdata/webhooks/servicenow/change_request.standard.closed.json"), "result.1"))
	local := func(at time.Time) string {
		if at.IsZero() {
			return ""
		}
		return at.In(cest).Format("2006-01-02 15:04:05")
	}
	sv, sd := c.state()
	av, _ := c.approval()
	set(t, doc, "number", c.number)
	set(t, doc, "sys_id", c.sysID)
	set(t, doc, "type", c.kind)
	set(t, doc, "state", fmt.Sprint(sv))
	set(t, doc, "approval", av)
	set(t, doc, "opened_at", local(c.opened))
	set(t, doc, "approval_set", local(c.approved))
	set(t, doc, "closed_at", local(c.closed))
	last := c.opened
	for _, x := range []time.Time{c.approved, c.closed} {
		if x.After(last) {
			last = x
		}
	}
	set(t, doc, "sys_updated_on", local(last))
	set(t, doc, "close_code", c.closeCode)
	set(t, doc, "cmdb_ci", c.ci)
	set(t, doc, "assignment_group", c.group)
	set(t, doc, "u_deployment", c.deployment)
	return s.deliver(t, fmt.Sprintf("%s (plain record, %s)", c.number, sd), doc)
}

// ---- PagerDuty (v3 webhook subscription) ----

// pagerdutyHook signs with X-PagerDuty-Signature (v1=) under the
// subscription's signing secret.
type pagerdutyHook struct{ secret string }

// incident is a v3 incident.* event, from the recorded incident.triggered.
// A user is the agent of every event (resolved by hand: no self-healing).
func (p pagerdutyHook) incident(t testing.TB, eventType, eventID, incidentID string, number int, title, service, serviceID string, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/webhooks/pagerduty/incident.triggered.json")
	set(t, doc, "event.id", eventID)
	set(t, doc, "event.event_type", eventType)
	set(t, doc, "event.occurred_at", when.UTC().Format("2006-01-02T15:04:05.000Z"))
	set(t, doc, "event.data.id", incidentID)
	set(t, doc, "event.data.number", number)
	set(t, doc, "event.data.title", title)
	set(t, doc, "event.data.status", strings.TrimPrefix(eventType, "incident."))
	set(t, doc, "event.data.self", "https://api.pagerduty.com/incidents/"+incidentID)
	set(t, doc, "event.data.html_url", "https://acme.pagerduty.com/incidents/"+incidentID)
	set(t, doc, "event.data.service.id", serviceID)
	set(t, doc, "event.data.service.summary", service)
	set(t, doc, "event.data.service.self", "https://api.pagerduty.com/services/"+serviceID)
	set(t, doc, "event.data.service.html_url", "https://acme.pagerduty.com/services/"+serviceID)
	body := encode(t, doc)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "PagerDuty-Webhook/V3.0")
	h.Set("X-Webhook-Id", eventID)
	h.Set("X-Webhook-Subscription", "PSUB4E2")
	h.Set("X-PagerDuty-Signature", "v1="+hmacHex(p.secret, body))
	return delivery{what: "pagerduty " + eventType + " " + incidentID, path: "/webhooks/pagerduty", header: h, body: body}
}

package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/queries/chtest"
)

// storyConfig lines up one service, shop, across five tools: GitHub's
// acme/shop-web, Jira's project SHOP, ServiceNow's CI "Shop Web" and
// PagerDuty's service "Shop Web (prod)".
const storyConfig = `
incident_link_window: 1h
catalog:
  production_environments: [production]
  services:
    shop: {team: web, product: storefront, portfolio: retail, repos: [acme/shop-web]}
sources:
  github:
    secret: ${GITHUB_WEBHOOK_SECRET}
    repo_services: {acme/shop-web: shop}
  jira:
    secret: ${JIRA_WEBHOOK_SECRET}
    project_services: {SHOP: shop}
  servicenow:
    username: throughline
    password: ${SERVICENOW_PASSWORD}
    time_zone: Europe/Paris
    ci_services: {Shop Web: shop}
    deployment_field: u_deployment
  pagerduty:
    secret: ${PAGERDUTY_SIGNING_SECRET}
    service_map: {Shop Web (prod): shop}
`

// TestStoryFromIdeaToFix is the issue-4 story end to end: a Jira story, the
// commit that implements it, the ServiceNow change that approves its
// deployment, the deployment, the PagerDuty incident it causes (linked by
// the same-service rule: PagerDuty names no deployment), and the fix under
// an emergency change. Every tool posts its own webhook; the answers come
// from /api/v1/measures and are computed by hand below.
//
// The story, in UTC (the tools write Paris time, CEST = UTC+2, where they
// use local time):
//
//	1 Apr 09:00  SHOP-42 "Basket" created in Jira (a Story: kind feature)
//	2 Apr 08:30  SHOP-42 moved to In Progress
//	      14:00  commit c1 "SHOP-42 Add basket" pushed to main of acme/shop-web
//	      15:30  CHG0040001 (normal, CI Shop Web) created
//	3 Apr 09:15  CHG0040001 approved
//	      10:00  deployment 5001 of c1 to production (GitHub deployment_status)
//	      10:10  CHG0040001 closed successful, u_deployment 5001
//	      10:20  PagerDuty incident Q7SHOP42 triggered on Shop Web (prod)
//	      10:25  Q7SHOP42 acknowledged
//	      10:40  CHG0040002 (emergency, CI Shop Web) created
//	      10:45  commit c2 "SHOP-42 Fix basket total rounding" pushed to main
//	      10:50  CHG0040002 approved
//	      11:05  deployment 5002 of c2 to production
//	      11:10  Q7SHOP42 resolved
//	      11:20  a forged incident on Shop Web (bad signature): refused
//	      11:30  CHG0040002 closed successful, u_deployment 5002
//	      12:00  SHOP-42 moved to Done
func TestStoryFromIdeaToFix(t *testing.T) {
	var (
		created  = at("2026-04-01T09:00:00Z")
		started  = at("2026-04-02T08:30:00Z")
		chg1Open = at("2026-04-02T15:30:00Z")
		chg1Appr = at("2026-04-03T09:15:00Z")
		deploy1  = at("2026-04-03T10:00:00Z")
		chg1Done = at("2026-04-03T10:10:00Z")
		incident = at("2026-04-03T10:20:00Z")
		acked    = at("2026-04-03T10:25:00Z")
		chg2Open = at("2026-04-03T10:40:00Z")
		chg2Appr = at("2026-04-03T10:50:00Z")
		deploy2  = at("2026-04-03T11:05:00Z")
		resolved = at("2026-04-03T11:10:00Z")
		forged   = at("2026-04-03T11:20:00Z")
		chg2Done = at("2026-04-03T11:30:00Z")
		done     = at("2026-04-03T12:00:00Z")

		c1 = commit{sha("SHOP-42 c1"), "SHOP-42 Add basket\n\nLines, quantities and a total.", at("2026-04-02T14:00:00Z")}
		c2 = commit{sha("SHOP-42 c2"), "SHOP-42 Fix basket total rounding", at("2026-04-03T10:45:00Z")}

		gh   = githubHook{secret("GITHUB_WEBHOOK_SECRET")}
		jira = jiraHook{secret("JIRA_WEBHOOK_SECRET")}
		snow = servicenowHook{"throughline", secret("SERVICENOW_PASSWORD")}
		pd   = pagerdutyHook{secret("PAGERDUTY_SIGNING_SECRET")}

		chg1 = change{number: "CHG0040001", sysID: "5f1c0a2e47d31210e0ef563dbb9a7101", kind: "normal",
			ci: "Shop Web", ciSysID: "a9c0c8d2c6112276018f7705562f9cb0", group: "Web CAB", opened: chg1Open}
		chg2 = change{number: "CHG0040002", sysID: "6a2d1b3f47d31210e0ef563dbb9a7102", kind: "emergency",
			ci: "Shop Web", ciSysID: "a9c0c8d2c6112276018f7705562f9cb0", group: "Web SRE", opened: chg2Open}
	)
	const repo = "acme/shop-web"
	chg1Approved := chg1
	chg1Approved.approved = chg1Appr
	chg1Closed := chg1Approved
	chg1Closed.closed, chg1Closed.closeCode, chg1Closed.deployment = chg1Done, "successful", "5001"
	chg2Approved := chg2
	chg2Approved.approved = chg2Appr
	chg2Closed := chg2Approved
	chg2Closed.closed, chg2Closed.closeCode, chg2Closed.deployment = chg2Done, "successful", "5002"

	story := []delivery{
		jira.created(t, "9c0e1f2a-0001", "10442", "SHOP-42", "SHOP", "Story", "Basket", created),
		jira.started(t, "9c0e1f2a-0002", "10442", "SHOP-42", "SHOP", "Story", created, started),
		gh.push(t, "4a6f0c1e-2f01-11f1-8000-0242ac120002", repo, "refs/heads/main", c1),
		snow.tableAPI(t, chg1),
		snow.tableAPI(t, chg1Approved),
		gh.deployment(t, "4a6f0c1e-2f02-11f1-8000-0242ac120002", repo, 5001, 50011, "production", "success", c1.sha, deploy1),
		snow.tableAPI(t, chg1Closed),
		pd.incident(t, "incident.triggered", "01EVT42TRIGGERED", "Q7SHOP42", 42, "Basket total wrong at checkout", "Shop Web (prod)", "PSHOPW1", incident),
		pd.incident(t, "incident.acknowledged", "01EVT42ACKED", "Q7SHOP42", 42, "Basket total wrong at checkout", "Shop Web (prod)", "PSHOPW1", acked),
		snow.plain(t, chg2Approved), // an emergency change is approved as soon as it is raised
		gh.push(t, "4a6f0c1e-2f03-11f1-8000-0242ac120002", repo, "refs/heads/main", c2),
		gh.deployment(t, "4a6f0c1e-2f04-11f1-8000-0242ac120002", repo, 5002, 50021, "production", "success", c2.sha, deploy2),
		pd.incident(t, "incident.resolved", "01EVT42RESOLVED", "Q7SHOP42", 42, "Basket total wrong at checkout", "Shop Web (prod)", "PSHOPW1", resolved),
		snow.plain(t, chg2Closed),
		jira.done(t, "9c0e1f2a-0003", "10442", "SHOP-42", "SHOP", "Story", created, done),
	}
	// Stored, it would be linked to deployment 5002 (same service, 15
	// minutes after it) and count that deployment failed too.
	forgedIncident := pagerdutyHook{"not-the-signing-secret"}.incident(t, "incident.triggered", "01EVT43TRIGGERED", "Q7SHOP43", 43, "Checkout slow", "Shop Web (prod)", "PSHOPW1", forged)

	for _, e := range chtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			h := newHarness(t, e.Store, storyConfig)
			for _, d := range story {
				h.accept(d)
			}
			if status, body := h.post(forgedIncident); status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401: %v", forgedIncident.what, status, body)
			}

			// PagerDuty names no deployment: the linker chose 5001, the
			// latest successful production deployment of shop within the
			// hour before 10:20, and said so.
			incs := h.events("pagerduty", "incident.opened")
			if len(incs) != 1 {
				t.Fatalf("incident.opened: %d stored, want 1: %s", len(incs), jsonString(incs))
			}
			if inc := incs[0]; inc.Subject != "Q7SHOP42" || inc.Service != "shop" ||
				inc.Links["deployment"] != "5001" || inc.Attributes["link_rule"] != "same-service-window" {
				t.Errorf("incident.opened = %s, want Q7SHOP42 on shop linked to deployment 5001 by link_rule same-service-window", jsonString(inc))
			}
			// ServiceNow's u_deployment links each change to its deployment.
			closedCRs := map[string]string{}
			for _, ev := range h.events("servicenow", "change_request.closed") {
				closedCRs[ev.Subject] = ev.Outcome + " " + ev.Links["deployment"]
			}
			if want := map[string]string{"CHG0040001": "success 5001", "CHG0040002": "success 5002"}; jsonString(closedCRs) != jsonString(want) {
				t.Errorf("closed change requests (outcome, deployment) = %v, want %v", closedCRs, want)
			}
			// The commits name the story; each event of a thing is stored once
			// although ServiceNow posts the whole record on every update.
			for key, want := range map[string]int{
				"github change.committed":            2,
				"github deployment.finished":         2,
				"jira work_item.created":             1,
				"jira work_item.started":             1,
				"jira work_item.done":                1,
				"servicenow change_request.created":  2,
				"servicenow change_request.approved": 2,
				"servicenow change_request.closed":   2,
				"pagerduty incident.opened":          1,
				"pagerduty incident.acknowledged":    1,
				"pagerduty incident.resolved":        1,
			} {
				source, typ, _ := strings.Cut(key, " ")
				if got := h.events(source, typ); len(got) != want {
					t.Errorf("%s: %d stored, want %d: %s", key, len(got), want, jsonString(got))
				}
			}
			for _, ev := range h.events("github", "change.committed") {
				if ev.Links["work_item"] != "SHOP-42" {
					t.Errorf("commit %s links work item %q, want SHOP-42", ev.Subject, ev.Links["work_item"])
				}
			}

			// The week of 1 April, grouped by service: one group, shop, or a
			// tool named the service differently.
			rep := h.measures(at("2026-04-01T00:00:00Z"), at("2026-04-08T00:00:00Z"), "service")
			if len(rep.Groups) != 1 || rep.Groups[0].Key != "shop" {
				t.Fatalf("groups %s, want only shop", jsonString(rep.Groups))
			}
			checkMeasures(t, rep.Groups[0], map[string]float64{
				// 5001 and 5002, both successful, in a 7-day window: 2/7 a day
				"deployments": 2, "deployment_frequency_per_day": 2.0 / 7,
				// 5001 failed (Q7SHOP42 links it), 5002 did not: 1/2
				"change_failure_rate": 0.5,
				// 5001 recovered when its one linked incident resolved:
				// 11:10 - 10:00 = 70 min = 4200
				"failed_deployment_recovery_time_median_seconds": 4200,
				"failed_deployments_unrecovered":                 0,
				// first approved - created:
				//   CHG0040001: 3 Apr 09:15 - 2 Apr 15:30 = 17 h 45 min = 63900
				//   CHG0040002: 10:50 - 10:40 = 600
				// median of [600, 63900] = (600 + 63900) / 2 = 32250
				"change_approval_lead_time_median_seconds": 32250,
				"change_requests_closed":                   2,
				"change_success_rate":                      1,   // both closed successful
				"emergency_change_ratio":                   0.5, // 1 of 2 created
				// SHOP-42's first linked commit is c1 (2 Apr 14:00, before c2);
				// its first successful production deployment is 5001 (3 Apr 10:00):
				// 3 Apr 10:00 - 1 Apr 09:00 = 49 h = 176400
				"time_to_market_median_seconds": 176400,
				// c1 -> 5001: 3 Apr 10:00 - 2 Apr 14:00 = 20 h = 72000
				// c2 -> 5002: 11:05 - 10:45 = 20 min = 1200
				// median (1200 + 72000) / 2 = 36600; p90 at 0.9: 1200 + 0.9*70800 = 64920
				"change_lead_time_samples": 2, "change_lead_time_median_seconds": 36600,
				"change_lead_time_p90_seconds": 64920,
				// Q7SHOP42: acknowledged 10:25 - 10:20 = 300; resolved 11:10 - 10:20 = 3000
				"incidents_opened": 1, "mtta_seconds": 300, "mttr_seconds": 3000,
				// SHOP-42 done 3 Apr 12:00 - started 2 Apr 08:30 = 27 h 30 min = 99000
				"work_items_done": 1, "flow_time_median_seconds": 99000, "flow_distribution_feature": 1,
			})
		})
	}
}

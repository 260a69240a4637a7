package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/queries/chtest"
)

// The delivery story every delivery tool tells, in UTC (the tools write
// their own zones; the parsers convert). Service shop, repository acme/shop.
//
//	2 Mar 09:00  c1 committed on feature/basket
//	      13:00  c2 committed on feature/basket: the branch head
//	      16:00  the pull/merge request is squash-merged: the squash commit S
//	             lands on main (GitLab also adds a merge commit M)
//	      17:00  S (M) deployed to staging: not production, counts for nothing
//	      18:00  S (M) deployed to production                  deployment 1
//	3 Mar 10:00  D committed straight to main
//	      11:00  D deployed to production                      deployment 2
//	      12:00  a third production deployment, forged: refused, not stored
//
// The window is [1 Mar, 5 Mar): 4 days, so deployment frequency is
// 2 successful production deployments / 4 days = 0.5 for every tool.
var (
	leadFrom = at("2026-03-01T00:00:00Z")
	leadTo   = at("2026-03-05T00:00:00Z")

	c1 = commit{sha("shop c1"), "Add basket model", at("2026-03-02T09:00:00Z")}
	c2 = commit{sha("shop c2"), "Add basket totals", at("2026-03-02T13:00:00Z")}
	sq = commit{sha("shop squash"), "Add basket (#7)", at("2026-03-02T16:00:00Z")}
	mc = commit{sha("shop merge"), "Merge branch 'feature/basket' into 'main'", at("2026-03-02T16:00:00Z")}
	dc = commit{sha("shop direct"), "Fix basket rounding", at("2026-03-03T10:00:00Z")}

	tMerge   = at("2026-03-02T16:00:00Z")
	tStaging = at("2026-03-02T17:00:00Z")
	tProd1   = at("2026-03-02T18:00:00Z")
	tProd2   = at("2026-03-03T11:00:00Z")
	tForged  = at("2026-03-03T12:00:00Z")
)

// leadConfig is the configuration every delivery case shares; each adds its
// sources below it.
const leadConfig = `
incident_link_window: 1h
catalog:
  production_environments: [production]
  services:
    shop: {team: web, product: storefront, portfolio: retail, repos: [acme/shop]}
sources:
`

const githubSource = `
  github:
    secret: ${GITHUB_WEBHOOK_SECRET}
`

// deliveryCase is one delivery tool (or pair of tools) telling the story.
type deliveryCase struct {
	name    string
	sources string
	// story is every delivery the tools make, in order, redeliveries
	// included: each must be answered 200.
	story func(t testing.TB) []delivery
	// forged are production deployments with a wrong or a missing
	// signature: each must be answered 401 and leave nothing behind.
	forged func(t testing.TB) []delivery
	// ignored carries nothing for the measures: 202 {"ignored": reason...}.
	ignored func(t testing.TB) delivery
	reason  string // the start of the ignored reason
	// stored counts the events GET /api/v1/events lists, by "source type".
	stored map[string]int
	want   map[string]float64
}

func deliveryCases() []deliveryCase {
	gh := githubHook{secret("GITHUB_WEBHOOK_SECRET")}
	// GitHub's side of the story for the cases whose CD tool is not GitHub:
	// the branch push, the squash-merged pull request, the squash commit and
	// D pushed to main.
	githubCode := func(t testing.TB) (branch, pr, main1, main2 delivery) {
		return gh.push(t, "0e9b3c52-1a01-11f1-8000-0242ac120002", "acme/shop", "refs/heads/feature/basket", c1, c2),
			gh.merged(t, "0e9b3c52-1a02-11f1-8000-0242ac120002", "acme/shop", 7, "Add basket", "feature/basket", c2.sha, sq.sha, tMerge),
			gh.push(t, "0e9b3c52-1a03-11f1-8000-0242ac120002", "acme/shop", "refs/heads/main", sq),
			gh.push(t, "0e9b3c52-1a04-11f1-8000-0242ac120002", "acme/shop", "refs/heads/main", dc)
	}
	// Lead-time pairs where the change.merged lists the merge/squash SHA and
	// the branch head only (GitHub, Bitbucket, Azure DevOps: their webhooks
	// do not list a pull request's commits), with deployment 1 at 18:00 and
	// deployment 2 at 11:00 on 3 Mar:
	//   S  -> dep 1: 18:00 - 16:00 =  2 h =  7200
	//   c2 -> dep 1 (through the merge): 18:00 - 13:00 = 5 h = 18000
	//   c1: not listed by the change.merged, carried by no deployment: left out
	//   D  -> dep 2: 11:00 - 10:00 =  1 h =  3600
	// sorted [3600, 7200, 18000]: median 7200;
	// p90 at position (3-1)*0.9 = 1.8: 7200 + 0.8*(18000-7200) = 15840
	headOnly := map[string]float64{
		"deployments": 2, "deployment_frequency_per_day": 0.5, // 2 / 4 days
		"change_lead_time_samples": 3, "change_lead_time_median_seconds": 7200,
		"change_lead_time_p90_seconds": 15840, "change_failure_rate": 0,
	}

	return []deliveryCase{
		{
			name:    "github",
			sources: githubSource,
			story: func(t testing.TB) []delivery {
				branch, pr, main1, main2 := githubCode(t)
				return []delivery{
					branch, pr, main1,
					gh.deployment(t, "0e9b3c52-1b01-11f1-8000-0242ac120002", "acme/shop", 101, 1001, "staging", "success", sq.sha, tStaging),
					gh.deployment(t, "0e9b3c52-1b02-11f1-8000-0242ac120002", "acme/shop", 102, 1002, "production", "success", sq.sha, tProd1),
					main2,
					gh.deployment(t, "0e9b3c52-1b03-11f1-8000-0242ac120002", "acme/shop", 103, 1003, "production", "success", dc.sha, tProd2),
					// redelivered from the hook's settings page: same delivery id, same body
					pr, branch,
				}
			},
			forged: func(t testing.TB) []delivery {
				bad := githubHook{"not-the-secret"}.deployment(t, "0e9b3c52-1b04-11f1-8000-0242ac120002", "acme/shop", 104, 1004, "production", "success", dc.sha, tForged)
				return []delivery{bad, gh.deployment(t, "0e9b3c52-1b05-11f1-8000-0242ac120002", "acme/shop", 104, 1005, "production", "success", dc.sha, tForged).without("X-Hub-Signature-256")}
			},
			ignored: func(t testing.TB) delivery {
				return gh.deployment(t, "0e9b3c52-1b06-11f1-8000-0242ac120002", "acme/shop", 104, 1006, "production", "in_progress", dc.sha, tForged)
			},
			reason: "deployment_status state in_progress",
			stored: map[string]int{
				"github change.committed":    4, // c1, c2, S, D; the redelivered push adds none
				"github change.merged":       1, // PR 7, delivered twice
				"github deployment.finished": 3, // staging 101, production 102 and 103
			},
			want: headOnly,
		},
		{
			name: "gitlab",
			sources: `
  gitlab:
    secret: ${GITLAB_WEBHOOK_TOKEN}
`,
			story: func(t testing.TB) []delivery {
				gl := gitlabHook{secret("GITLAB_WEBHOOK_TOKEN")}
				mr := gl.merged(t, "5d1e7a20-0002-4c1e-9a3b-6f0e2d4c8a02", "acme/shop", 7, "feature/basket", c2.sha, sq.sha, mc.sha, tMerge)
				return []delivery{
					gl.push(t, "5d1e7a20-0001-4c1e-9a3b-6f0e2d4c8a01", "acme/shop", "refs/heads/feature/basket", c1, c2),
					mr,
					gl.push(t, "5d1e7a20-0003-4c1e-9a3b-6f0e2d4c8a03", "acme/shop", "refs/heads/main", sq, mc),
					gl.deployment(t, "5d1e7a20-0004-4c1e-9a3b-6f0e2d4c8a04", "acme/shop", 101, "staging", "success", mc.sha, tStaging),
					gl.deployment(t, "5d1e7a20-0005-4c1e-9a3b-6f0e2d4c8a05", "acme/shop", 102, "production", "success", mc.sha, tProd1),
					gl.push(t, "5d1e7a20-0006-4c1e-9a3b-6f0e2d4c8a06", "acme/shop", "refs/heads/main", dc),
					gl.deployment(t, "5d1e7a20-0007-4c1e-9a3b-6f0e2d4c8a07", "acme/shop", 103, "production", "success", dc.sha, tProd2),
					mr, // GitLab retries a hook that timed out: same event UUID
				}
			},
			forged: func(t testing.TB) []delivery {
				bad := gitlabHook{"not-the-token"}.deployment(t, "5d1e7a20-0008-4c1e-9a3b-6f0e2d4c8a08", "acme/shop", 104, "production", "success", dc.sha, tForged)
				return []delivery{bad, gitlabHook{secret("GITLAB_WEBHOOK_TOKEN")}.deployment(t, "5d1e7a20-0009-4c1e-9a3b-6f0e2d4c8a09", "acme/shop", 104, "production", "success", dc.sha, tForged).without("X-Gitlab-Token")}
			},
			ignored: func(t testing.TB) delivery {
				doc, _ := recorded(t, "gitlab", "merge_request.open")
				return gitlabHook{secret("GITLAB_WEBHOOK_TOKEN")}.deliver(t, "merge request opened", "merge_request.open", "5d1e7a20-000a-4c1e-9a3b-6f0e2d4c8a0a", doc)
			},
			reason: "merge_request action open",
			stored: map[string]int{
				"gitlab change.committed":    5, // c1, c2, S, M, D
				"gitlab change.merged":       1,
				"gitlab deployment.finished": 3,
			},
			// The merge lists M, S and the branch head c2; deployment 1 carries M:
			//   M  -> dep 1: 18:00 - 16:00 =  7200
			//   S  -> dep 1 (through the merge): 18:00 - 16:00 = 7200
			//   c2 -> dep 1 (through the merge): 18:00 - 13:00 = 18000
			//   c1: not listed: left out
			//   D  -> dep 2: 11:00 - 10:00 = 3600
			// sorted [3600, 7200, 7200, 18000]: median at 1.5 = (7200+7200)/2 = 7200;
			// p90 at (4-1)*0.9 = 2.7: 7200 + 0.7*(18000-7200) = 14760
			want: map[string]float64{
				"deployments": 2, "deployment_frequency_per_day": 0.5, // 2 / 4 days
				"change_lead_time_samples": 4, "change_lead_time_median_seconds": 7200,
				"change_lead_time_p90_seconds": 14760, "change_failure_rate": 0,
			},
		},
		{
			name: "bitbucket",
			sources: `
  bitbucket:
    secret: ${BITBUCKET_WEBHOOK_SECRET}
    deploy_workflows: [deploy-production]
`,
			story: func(t testing.TB) []delivery {
				bb := bitbucketHook{secret("BITBUCKET_WEBHOOK_SECRET")}
				pr := bb.merged(t, "7c2a9e41-0002-4b8d-a6f0-3e1c5b7d9f02", "acme/shop", 7, "feature/basket", c2.sha, sq.sha, tMerge)
				return []delivery{
					bb.push(t, "7c2a9e41-0001-4b8d-a6f0-3e1c5b7d9f01", "acme/shop", "feature/basket", c1, c2),
					pr,
					bb.push(t, "7c2a9e41-0003-4b8d-a6f0-3e1c5b7d9f03", "acme/shop", "main", sq),
					// the staging step is no deploy workflow: a build
					bb.status(t, "7c2a9e41-0004-4b8d-a6f0-3e1c5b7d9f04", "acme/shop", "deploy-staging", "SUCCESSFUL", sq.sha, 41, tStaging, false),
					bb.status(t, "7c2a9e41-0005-4b8d-a6f0-3e1c5b7d9f05", "acme/shop", "deploy-production", "SUCCESSFUL", sq.sha, 41, tProd1, false),
					bb.push(t, "7c2a9e41-0006-4b8d-a6f0-3e1c5b7d9f06", "acme/shop", "main", dc),
					bb.status(t, "7c2a9e41-0007-4b8d-a6f0-3e1c5b7d9f07", "acme/shop", "deploy-production", "SUCCESSFUL", dc.sha, 42, tProd2, false),
					pr, // a retried delivery keeps its X-Request-UUID
				}
			},
			forged: func(t testing.TB) []delivery {
				bad := bitbucketHook{"not-the-secret"}.status(t, "7c2a9e41-0008-4b8d-a6f0-3e1c5b7d9f08", "acme/shop", "deploy-production", "SUCCESSFUL", dc.sha, 43, tForged, false)
				return []delivery{bad, bitbucketHook{secret("BITBUCKET_WEBHOOK_SECRET")}.status(t, "7c2a9e41-0009-4b8d-a6f0-3e1c5b7d9f09", "acme/shop", "deploy-production", "SUCCESSFUL", dc.sha, 43, tForged, false).without("X-Hub-Signature")}
			},
			ignored: func(t testing.TB) delivery {
				return bitbucketHook{secret("BITBUCKET_WEBHOOK_SECRET")}.status(t, "7c2a9e41-000a-4b8d-a6f0-3e1c5b7d9f0a", "acme/shop", "deploy-production", "INPROGRESS", dc.sha, 43, tForged, true)
			},
			reason: "repo:commit_status_created (the build is not finished)",
			stored: map[string]int{
				"bitbucket change.committed":    4,
				"bitbucket change.merged":       1, // with the 12-digit hashes Bitbucket sends
				"bitbucket deployment.finished": 2,
				"bitbucket build.finished":      1, // deploy-staging
			},
			want: headOnly, // the arithmetic beside headOnly; abbreviated hashes match by prefix
		},
		{
			name: "azuredevops",
			sources: `
  azuredevops:
    username: throughline
    password: ${AZDO_HOOK_PASSWORD}
    deploy_workflows: ["*-deploy-prod"]
`,
			story: func(t testing.TB) []delivery {
				az := azureHook{"throughline", secret("AZDO_HOOK_PASSWORD")}
				pr := az.merged(t, "a3f1c7e2-0002-4d6b-8e9a-1c3e5f7a9b02", "web", "shop", 7, "feature/basket", c2.sha, sq.sha, tMerge)
				return []delivery{
					az.push(t, "a3f1c7e2-0001-4d6b-8e9a-1c3e5f7a9b01", "web", "shop", "feature/basket", c1, c2),
					pr,
					az.push(t, "a3f1c7e2-0003-4d6b-8e9a-1c3e5f7a9b03", "web", "shop", "main", sq),
					az.build(t, "a3f1c7e2-0004-4d6b-8e9a-1c3e5f7a9b04", "web", "shop", "shop-deploy-staging", 301, "succeeded", sq.sha, tStaging),
					az.build(t, "a3f1c7e2-0005-4d6b-8e9a-1c3e5f7a9b05", "web", "shop", "shop-deploy-prod", 302, "succeeded", sq.sha, tProd1),
					az.push(t, "a3f1c7e2-0006-4d6b-8e9a-1c3e5f7a9b06", "web", "shop", "main", dc),
					az.build(t, "a3f1c7e2-0007-4d6b-8e9a-1c3e5f7a9b07", "web", "shop", "shop-deploy-prod", 303, "succeeded", dc.sha, tProd2),
					pr, // a retried notification keeps its id
				}
			},
			forged: func(t testing.TB) []delivery {
				bad := azureHook{"throughline", "not-the-password"}.build(t, "a3f1c7e2-0008-4d6b-8e9a-1c3e5f7a9b08", "web", "shop", "shop-deploy-prod", 304, "succeeded", dc.sha, tForged)
				return []delivery{bad, azureHook{"throughline", secret("AZDO_HOOK_PASSWORD")}.build(t, "a3f1c7e2-0009-4d6b-8e9a-1c3e5f7a9b09", "web", "shop", "shop-deploy-prod", 304, "succeeded", dc.sha, tForged).without("Authorization")}
			},
			ignored: func(t testing.TB) delivery {
				return azureHook{"throughline", secret("AZDO_HOOK_PASSWORD")}.build(t, "a3f1c7e2-000a-4d6b-8e9a-1c3e5f7a9b0a", "web", "shop", "shop-deploy-prod", 305, "canceled", dc.sha, tForged)
			},
			reason: `build.complete result "canceled"`,
			stored: map[string]int{
				"azuredevops change.committed":    4,
				"azuredevops change.merged":       1,
				"azuredevops deployment.finished": 2, // shop-deploy-prod 302, 303
				"azuredevops build.finished":      1, // shop-deploy-staging matches no deploy pattern
			},
			want: headOnly,
		},
		{
			name: "github+jenkins",
			sources: githubSource + `
  jenkins:
    token: ${JENKINS_WEBHOOK_TOKEN}
    deploy_jobs: ["shop/deploy-.*"]
    job_services: {shop/deploy-shop: shop}
`,
			story: func(t testing.TB) []delivery {
				jk := jenkinsHook{secret("JENKINS_WEBHOOK_TOKEN")}
				branch, pr, main1, main2 := githubCode(t)
				return []delivery{
					branch, pr, main1,
					jk.build(t, "shop", "deploy-shop", 41, "COMPLETED", "SUCCESS", "staging", sq.sha, tStaging),
					jk.build(t, "shop", "deploy-shop", 42, "COMPLETED", "SUCCESS", "production", sq.sha, tProd1),
					main2,
					jk.build(t, "shop", "deploy-shop", 43, "COMPLETED", "SUCCESS", "production", dc.sha, tProd2),
					// the plugin notifies COMPLETED and then FINALIZED of one build: one deployment
					jk.build(t, "shop", "deploy-shop", 43, "FINALIZED", "SUCCESS", "production", dc.sha, tProd2),
				}
			},
			forged: func(t testing.TB) []delivery {
				bad := jenkinsHook{"not-the-token"}.build(t, "shop", "deploy-shop", 44, "COMPLETED", "SUCCESS", "production", dc.sha, tForged)
				return []delivery{bad, jenkinsHook{secret("JENKINS_WEBHOOK_TOKEN")}.build(t, "shop", "deploy-shop", 44, "COMPLETED", "SUCCESS", "production", dc.sha, tForged).without("X-Throughline-Signature")}
			},
			ignored: func(t testing.TB) delivery {
				return jenkinsHook{secret("JENKINS_WEBHOOK_TOKEN")}.build(t, "shop", "deploy-shop", 45, "STARTED", "", "production", dc.sha, tForged)
			},
			reason: "phase STARTED: the build has not finished",
			stored: map[string]int{
				"github change.committed":     4,
				"github change.merged":        1,
				"jenkins deployment.finished": 3, // #41 staging, #42 and #43 production
			},
			want: headOnly, // GitHub's change.merged: the arithmetic beside headOnly
		},
		{
			name: "github+argocd",
			// The Argo CD webhook authenticates with a bearer token, and the
			// server's API-token check reads the same Authorization header
			// first, so with api_tokens set the Argo CD token must be one of
			// them.
			sources: githubSource + `
  argocd:
    token: ${THROUGHLINE_API_TOKEN}
    namespace_environments: {shop-prod: production, shop-staging: staging}
`,
			story: func(t testing.TB) []delivery {
				argo := argoHook{apiToken}
				branch, pr, main1, main2 := githubCode(t)
				prod2 := argo.sync(t, "shop", "shop-prod", "Succeeded", dc.sha, tProd2)
				return []delivery{
					branch, pr, main1,
					argo.sync(t, "shop", "shop-staging", "Succeeded", sq.sha, tStaging),
					argo.sync(t, "shop", "shop-prod", "Succeeded", sq.sha, tProd1),
					main2,
					prod2,
					prod2, // the notifications controller re-sends after a restart
				}
			},
			forged: func(t testing.TB) []delivery {
				return []delivery{
					argoHook{"not-the-token"}.sync(t, "shop", "shop-prod", "Succeeded", dc.sha, tForged),
					argoHook{apiToken}.sync(t, "shop", "shop-prod", "Succeeded", dc.sha, tForged).without("Authorization"),
				}
			},
			ignored: func(t testing.TB) delivery {
				return argoHook{apiToken}.sync(t, "shop", "shop-prod", "Running", dc.sha, tForged)
			},
			reason: "phase Running: the sync has not finished",
			stored: map[string]int{
				"github change.committed":    4,
				"github change.merged":       1,
				"argocd deployment.finished": 3, // shop-staging, and shop-prod twice
			},
			want: headOnly,
		},
		{
			name: "github+cdevents",
			sources: githubSource + `
  cdevents:
    secret: ${CDEVENTS_WEBHOOK_SECRET}
`,
			story: func(t testing.TB) []delivery {
				cd := cdeventsHook{secret("CDEVENTS_WEBHOOK_SECRET")}
				branch, _, main1, main2 := githubCode(t)
				merged := cd.merged(t, "b1e0c6d2-7a41-4f0e-9c3b-2d5e8f1a4c01", "acme/shop/pull/7", "acme/shop", []string{sq.sha, c2.sha, c1.sha}, tMerge)
				return []delivery{
					branch, merged, main1,
					cd.deployedBinary(t, "b1e0c6d2-7a41-4f0e-9c3b-2d5e8f1a4c02", "shop-staging-101", "staging", "pkg:github/acme/shop@"+sq.sha, tStaging),
					cd.deployedBinary(t, "b1e0c6d2-7a41-4f0e-9c3b-2d5e8f1a4c03", "shop-production-102", "production", "pkg:github/acme/shop@"+sq.sha, tProd1),
					main2,
					cd.deployedStructured(t, "b1e0c6d2-7a41-4f0e-9c3b-2d5e8f1a4c04", "shop-production-103", "production",
						"pkg:oci/shop@sha256%3A"+hmacHex("image", []byte(dc.sha)), dc.sha, tProd2),
					merged, // a broker redelivers at least once: same context.id
				}
			},
			forged: func(t testing.TB) []delivery {
				bad := cdeventsHook{"not-the-secret"}.deployedBinary(t, "b1e0c6d2-7a41-4f0e-9c3b-2d5e8f1a4c05", "shop-production-104", "production", "pkg:github/acme/shop@"+dc.sha, tForged)
				return []delivery{bad, cdeventsHook{secret("CDEVENTS_WEBHOOK_SECRET")}.deployedBinary(t, "b1e0c6d2-7a41-4f0e-9c3b-2d5e8f1a4c06", "shop-production-104", "production", "pkg:github/acme/shop@"+dc.sha, tForged).without("X-Throughline-Signature")}
			},
			ignored: func(t testing.TB) delivery { return cdeventsHook{secret("CDEVENTS_WEBHOOK_SECRET")}.unsupported(t) },
			reason:  `context.type: unsupported CDEvents type "dev.cdevents.taskrun.started.0.3.0"`,
			stored: map[string]int{
				"github change.committed":      4,
				"cdevents change.merged":       1,
				"cdevents deployment.finished": 3,
			},
			// CDEvents' change.merged lists every commit of the change (customData.commits):
			//   S  -> dep 1: 18:00 - 16:00 =  7200
			//   c2 -> dep 1: 18:00 - 13:00 = 18000
			//   c1 -> dep 1: 18:00 - 09:00 = 32400
			//   D  -> dep 2: 11:00 - 10:00 =  3600
			// sorted [3600, 7200, 18000, 32400]: median at 1.5 = (7200+18000)/2 = 12600;
			// p90 at (4-1)*0.9 = 2.7: 18000 + 0.7*(32400-18000) = 28080
			want: map[string]float64{
				"deployments": 2, "deployment_frequency_per_day": 0.5, // 2 / 4 days
				"change_lead_time_samples": 4, "change_lead_time_median_seconds": 12600,
				"change_lead_time_p90_seconds": 28080, "change_failure_rate": 0,
			},
		},
	}
}

// TestDeliveryToolsLeadTime posts each delivery tool's story through its
// webhook and checks lead time and deployment frequency from
// /api/v1/measures against the hand-computed values, on both engines; with
// the forged deliveries refused, the redeliveries stored once and the idle
// payload acknowledged as ignored.
func TestDeliveryToolsLeadTime(t *testing.T) {
	for _, tc := range deliveryCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range chtest.Engines(t) {
				t.Run(e.Name, func(t *testing.T) {
					h := newHarness(t, e.Store, leadConfig+tc.sources)
					for _, d := range tc.story(t) {
						h.accept(d)
					}
					for _, d := range tc.forged(t) {
						if status, body := h.post(d); status != http.StatusUnauthorized {
							t.Errorf("%s: status %d, want 401: %v", d.what, status, body)
						}
					}
					d := tc.ignored(t)
					status, body := h.post(d)
					reason, _ := body["ignored"].(string)
					if status != http.StatusAccepted || len(body) != 1 || !strings.HasPrefix(reason, tc.reason) {
						t.Errorf("%s: %d %s, want 202 {\"ignored\": %q...}", d.what, status, jsonString(body), tc.reason)
					}

					for key, want := range tc.stored {
						source, typ, _ := strings.Cut(key, " ")
						if got := h.events(source, typ); len(got) != want {
							t.Errorf("%s: %d stored, want %d: %s", key, len(got), want, jsonString(got))
						}
					}

					// Grouped by service: every tool must have named the one service.
					rep := h.measures(leadFrom, leadTo, "service")
					if len(rep.Groups) != 1 || rep.Groups[0].Key != "shop" {
						t.Fatalf("groups %s, want only shop", jsonString(rep.Groups))
					}
					checkMeasures(t, rep.Groups[0], tc.want)
				})
			}
		})
	}
}

// TestGitHubPushChain is trunk-based delivery on GitHub: three pushes to
// main, then one deployment_status naming the last head only. Every commit
// of the three pushes counts, from its own time, because each push's head
// lists its push's commits and those of the undeployed pushes before it.
//
//	4 Mar 09:00 a, 10:00 b   push 1 (onto the deployed head D)
//	      12:00 c            push 2
//	      14:00 d, 15:00 e   push 3
//	      16:00 deployment of e
//
// Lead times to 16:00: a 7h, b 6h, c 4h, d 2h, e 1h, and D's deployment on
// 3 Mar (D 1h): [3600, 3600, 7200, 14400, 21600, 25200], median
// (7200+14400)/2 = 10800; 2 deployments in [3 Mar, 5 Mar): 1 a day.
func TestGitHubPushChain(t *testing.T) {
	gh := githubHook{secret("GITHUB_WEBHOOK_SECRET")}
	a := commit{sha("chain a"), "a", at("2026-03-04T09:00:00Z")}
	b := commit{sha("chain b"), "b", at("2026-03-04T10:00:00Z")}
	c := commit{sha("chain c"), "c", at("2026-03-04T12:00:00Z")}
	d := commit{sha("chain d"), "d", at("2026-03-04T14:00:00Z")}
	e := commit{sha("chain e"), "e", at("2026-03-04T15:00:00Z")}
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			h := newHarness(t, eng.Store, leadConfig+githubSource)
			for _, dl := range []delivery{
				gh.push(t, "9a1e0c00-0001-11f1-8000-0242ac120002", "acme/shop", "refs/heads/main", dc),
				gh.deployment(t, "9a1e0c00-0002-11f1-8000-0242ac120002", "acme/shop", 201, 2001, "production", "success", dc.sha, tProd2),
				gh.pushAfter(t, "9a1e0c00-0003-11f1-8000-0242ac120002", "acme/shop", "refs/heads/main", dc.sha, a, b),
				gh.pushAfter(t, "9a1e0c00-0004-11f1-8000-0242ac120002", "acme/shop", "refs/heads/main", b.sha, c),
				gh.pushAfter(t, "9a1e0c00-0005-11f1-8000-0242ac120002", "acme/shop", "refs/heads/main", c.sha, d, e),
				gh.deployment(t, "9a1e0c00-0006-11f1-8000-0242ac120002", "acme/shop", 202, 2002, "production", "success", e.sha, at("2026-03-04T16:00:00Z")),
			} {
				h.accept(dl)
			}
			rep := h.measures(at("2026-03-03T00:00:00Z"), leadTo, "service")
			if len(rep.Groups) != 1 {
				t.Fatalf("groups %s", jsonString(rep.Groups))
			}
			checkMeasures(t, rep.Groups[0], map[string]float64{
				"deployments": 2, "deployment_frequency_per_day": 1,
				"change_lead_time_samples": 6, "change_lead_time_median_seconds": 10800,
			})
		})
	}
}

// Package github turns GitHub webhook deliveries into ingest Events.
//
// It owns the GitHub side of POST /webhooks/github: checking the
// X-Hub-Signature-256 HMAC, reading the event name from X-GitHub-Event and
// mapping the few events that matter for the measures:
//
//	push                      one change.committed per commit listed
//	pull_request closed+merged change.merged
//	deployment_status         deployment.finished (success, failure, error)
//	workflow_run completed    build.finished, or deployment.finished when the
//	                          workflow matches Options.DeployWorkflows
//	check_run completed       build.finished (except GitHub Actions' own check
//	                          runs, which workflow_run already reports)
//	issues (incident label)   incident.opened, incident.resolved, incident.reopened
//	release published         deployment.finished only with
//	                          Options.ReleasesAreDeployments; ignored otherwise
//
// Everything else (ping, other actions, unknown events) is an error wrapping
// ingest.ErrIgnored that says why. Event times are GitHub's, never the time
// of receipt, and event ids are derived from the payload only, so a
// re-delivery yields the same ids.
//
// The webhook must not do I/O or log, and nothing here computes measures;
// backfill.go reads the GitHub API through the poll package's client and maps
// what it reads through the same code as the webhook, so both give the same event ids.
package github

// Package gitlab turns GitLab webhook deliveries into ingest Events.
//
// It owns the GitLab side of POST /webhooks/gitlab: comparing X-Gitlab-Token
// with the configured secret, reading the event kind from the payload's
// object_kind (X-Gitlab-Event when absent), parsing GitLab's several
// timestamp formats, and mapping:
//
//	push                         one change.committed per commit listed
//	merge_request action=merge   change.merged
//	pipeline success/failed      build.finished, or deployment.finished when
//	                             its name or ref matches Options.DeployWorkflows
//	build (job) success/failed   build.finished
//	deployment success/failed    deployment.finished
//	issue (incident)             incident.opened, incident.resolved, incident.reopened
//
// Everything else is an error wrapping ingest.ErrIgnored that says why.
// Event times are GitLab's and event ids come from the payload only, so a
// re-delivery yields the same ids.
//
// The webhook must not do I/O or log, and nothing here computes measures;
// backfill.go reads the GitLab API through the poll package's client and maps
// what it reads through the same code as the webhook, so both give the same event ids.
package gitlab

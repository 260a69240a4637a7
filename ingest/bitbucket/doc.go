// Package bitbucket turns Bitbucket Cloud webhook deliveries into ingest
// Events.
//
// It owns the Bitbucket side of POST /webhooks/bitbucket: checking the
// X-Hub-Signature HMAC ("sha256=<hex>"), reading the event from X-Event-Key
// and mapping:
//
//	repo:push                   one change.committed per commit listed in
//	                            push.changes[].commits
//	pullrequest:fulfilled       change.merged
//	repo:commit_status_updated  build.finished (SUCCESSFUL, FAILED), or
//	                            deployment.finished when the status name or
//	                            key matches Options.DeployWorkflows; this is
//	                            also how Bitbucket Pipelines reports
//
// Everything else is an error wrapping ingest.ErrIgnored that says why.
// Bitbucket Data Center ("repo:refs_changed", no commits in the payload) is
// a different product and is not handled here.
//
// The webhook must not do I/O or log, and nothing here computes measures;
// backfill.go reads the Bitbucket API through the poll package's client and maps
// what it reads through the same code as the webhook, so both give the same event ids.
package bitbucket

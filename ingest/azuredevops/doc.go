// Package azuredevops turns Azure DevOps service hook deliveries (the "Web
// Hooks" consumer, JSON, all resource details) into ingest Events.
//
// It owns the Azure DevOps side of POST /webhooks/azuredevops: checking the
// subscription's basic-authentication credentials and mapping, by the
// payload's eventType:
//
//	git.push                                  one change.committed per commit
//	git.pullrequest.merged,
//	git.pullrequest.updated (completed)       change.merged
//	build.complete                            build.finished, or
//	                                          deployment.finished when the
//	                                          pipeline matches Options.DeployWorkflows
//	ms.vss-release.deployment-completed-event deployment.finished
//
// Everything else is an error wrapping ingest.ErrIgnored that says why.
// Azure DevOps sends no delivery header: the payload's top-level id
// identifies a notification (see PayloadID), and event ids are derived from
// the resource, so a re-delivery yields the same ids.
//
// The webhook must not do I/O or log, and nothing here computes measures;
// backfill.go reads the Azure DevOps API through the poll package's client and maps
// what it reads through the same code as the webhook, so both give the same event ids.
package azuredevops

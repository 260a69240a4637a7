// Package argocd turns Argo CD Notifications webhook deliveries into
// deployment.finished events.
//
// Argo CD has no fixed webhook payload: the body is whatever a notification
// template renders. This package accepts exactly the body of the templates
// shipped in deploy/argocd/argocd-notifications-cm.yaml (app-deployed and
// app-sync-failed, sent by the on-deployed and on-sync-failed triggers):
//
//	{"trigger": "on-deployed", "app": "checkout", "revision": "9f1c2e0...",
//	 "phase": "Succeeded", "health": "Healthy", "finished_at": "2026-...Z",
//	 "destination": {"namespace": "checkout-prod", "server": "https://..."},
//	 "labels": {...}, "deployment_id": "checkout-9f1c2e0...-2026-...Z", ...}
//
// Mapping: operation phase Succeeded -> outcome success; Failed or Error ->
// failure; Running or Terminating -> ErrIgnored. Health is kept as an
// attribute, not used for the outcome: on-deployed already waits for
// Healthy, and a sync that failed is a failed deployment whatever the health.
// The service is the application name; the environment is
// Options.NamespaceEnvironments[destination namespace], else the app label
// Options.EnvironmentLabel (default "environment"), else
// Options.DefaultEnvironment. The revision is the commit when it looks like
// a git SHA (a Helm chart version is kept as an attribute only); for a
// multi-source application every SHA among its revisions is a commit. The time
// is operationState.finishedAt and the id is deployment_id (rebuilt from
// app, revision and finished_at when the template could not fill it), so a
// re-delivery yields the same id.
//
// Auth: "Authorization: Bearer <token>" set in the webhook service headers.
//
// It must not do I/O, call Argo CD, log, or compute measures.
package argocd

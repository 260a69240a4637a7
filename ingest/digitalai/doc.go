// Package digitalai turns Digital.ai Release (formerly XL Release) release
// and phase completion notifications into deployment.finished events.
//
// Release sends JSON from a "Webhook: Send JSON" task (or an event
// notification) whose body the template author writes. This package accepts
// the Release REST API's own shape of a release, either at the top level or
// under "release" in an envelope that may also carry the completed "phase":
//
//	{"event": "release-completed",
//	 "release": {"id": "Applications/Folder1/Release8812", "title": "...",
//	             "status": "COMPLETED", "startDate": "...", "endDate": "...",
//	             "variables": [{"key": "service", "value": "checkout"}, ...]},
//	 "phase":   {"id": ".../Phase3", "title": "PROD", "status": "COMPLETED",
//	             "endDate": "..."}}
//
// variables may also be an object {"service": "checkout", ...}; keys may be
// written ${service}. Dates are RFC 3339, Release's "+0000" offsets, or epoch
// milliseconds.
//
// A release is a deployment when its title matches Options.DeployTemplates
// (regular expressions, whole title), it has the environment variable
// (Options.EnvironmentVariable, default deploymentEnvironment), or the
// notification is about a phase whose title is in Options.PhaseEnvironments;
// otherwise it is ignored. Status COMPLETED -> success; FAILED and ABORTED -> failure
// (a release is aborted after a task failed and nobody fixed it); other
// statuses -> ErrIgnored. With a phase, the phase is the deployment (its id,
// status and end date) and its environment may come from
// Options.PhaseEnvironments[phase title].
//
// Service, environment and commit come from the variables named by
// Options.ServiceVariable (default service), EnvironmentVariable and
// CommitVariable (default commit). The id is the release (or phase) id.
//
// Auth: a shared secret in X-Throughline-Token, or HTTP basic auth with
// Options.Username and Options.Password (what Release's HTTP connection
// offers).
//
// It must not do I/O, call Release, log, or compute measures.
package digitalai

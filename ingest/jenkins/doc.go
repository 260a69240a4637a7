// Package jenkins turns Jenkins Notification plugin deliveries
// (https://plugins.jenkins.io/notification/, JSON format) into ingest Events.
//
// It owns POST /webhooks/jenkins: the shared-secret check and the mapping
//
//	phase COMPLETED or FINALIZED, status SUCCESS          -> outcome success
//	phase COMPLETED or FINALIZED, FAILURE/UNSTABLE/ABORTED -> outcome failure
//	    build.finished, or deployment.finished when the job's full name
//	    matches Options.DeployJobs
//	phase QUEUED or STARTED, status NOT_BUILT             -> ErrIgnored
//
// A deployment's environment is the build parameter named by
// Options.EnvironmentParameter (default ENVIRONMENT), else
// Options.DefaultEnvironment; its service is Options.JobServices[job] or the
// job's name; its commit is build.scm.commit.
//
// The event id is "<job full name>#<build number>", so the COMPLETED and
// FINALIZED notifications of one build are the same event, stored once. The
// time is build.timestamp: epoch milliseconds in current plugin versions
// (for COMPLETED the build's start plus its duration, that is its end),
// an RFC 3339 string in some older ones. A payload without it (as in the
// plugin's documented example) is rejected rather than timed on receipt.
//
// Jenkins signs nothing, so the shared secret travels as a header the
// endpoint URL cannot carry: configure the notification's URL to a proxy or
// use X-Throughline-Token / X-Throughline-Signature from a pipeline step.
//
// It must not do I/O, call Jenkins, log, or compute measures.
package jenkins

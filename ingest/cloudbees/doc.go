// Package cloudbees turns CloudBees CD/RO deployment and pipeline completion
// notifications into deployment.finished events.
//
// CloudBees CD/RO has no built-in outbound webhook with a fixed body; teams
// post a JSON document from the last step of a pipeline stage or application
// process (an HTTP/REST step, or curl in a command step) whose values are
// property references. This package defines that document (format
// "throughline/cloudbees-cd/v1"); the property paths below are examples to
// check against the property browser of your CD/RO version, only the JSON
// keys are fixed:
//
//	{
//	  "projectName":     "$[/myProject/projectName]",
//	  "pipelineName":    "$[/myPipeline/pipelineName]",
//	  "flowRuntimeId":   "$[/myPipelineRuntime/flowRuntimeId]",
//	  "flowRuntimeName": "$[/myPipelineRuntime/flowRuntimeName]",
//	  "stageName":       "$[/myStageRuntime/stageName]",
//	  "applicationName": "checkout",
//	  "environmentName": "production",
//	  "outcome":         "success",              // success | warning | error (| skipped, aborted)
//	  "finishTime":      "2026-11-20T10:04:00.000Z",
//	  "version":         "1.4.2",
//	  "commit":          "9f1c2e0...",           // or "commits": [...]
//	  "url":             "https://cd.example.com/flow/#pipeline-run/..."
//	}
//
// Mapping: outcome success and warning (finished, with warnings) -> success,
// error -> failure, skipped and aborted -> ErrIgnored (nothing was deployed).
// The service is applicationName, else Options.PipelineServices[pipeline],
// else the pipeline name; the environment is environmentName, else
// Options.DefaultEnvironment. The id is "<flowRuntimeId>/<stage or
// environment>", so each stage of one run is its own deployment and a resend
// is the same event. The time is finishTime (RFC 3339, or epoch
// milliseconds).
//
// Auth: a shared secret in the header Options.Header (default
// X-Throughline-Token).
//
// It must not do I/O, call CloudBees, log, or compute measures.
package cloudbees

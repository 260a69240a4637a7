// Package poll is the shared machinery for importing history from the
// tools' REST APIs (backfill) and for polling them incrementally on a
// schedule:
//
//   - Client: an HTTP client for one API root that authenticates (bearer,
//     basic, a custom header, OAuth 2.0 client credentials or password
//     grant), follows pages, waits out rate limits (GitHub's
//     X-RateLimit-*, GitLab's RateLimit-*, Retry-After in seconds or as an
//     HTTP date) and retries server errors and network failures with
//     bounded exponential backoff and jitter. Errors and logs name the
//     method and path only, never the query string or a credential.
//   - Checkpoint and CheckpointStore: where each stream of a job stands,
//     one JSON file per job, written atomically (temporary file, fsync,
//     rename), so an interrupted import continues where it stopped.
//   - Progress and Bar: counts and ETA on a terminal.
//   - Importer: what each tool implements (in ingest/<tool>), with Request
//     and Sink.
//   - Config and Scheduler: polling jobs from the YAML file run on cron
//     schedules; a failed run is counted and logged, never fatal.
//
// It does not know any tool: importers live beside their webhook parsers
// in ingest/<tool> (so an imported fact gets the same event id as the
// webhook's), and poll/sources builds them from a Job. It does not write
// to the store either: events go to the Sink it is given.
package poll

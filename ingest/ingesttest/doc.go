// Package ingesttest holds test helpers for the webhook parsers under
// ingest/<tool>: the golden-file harness (payloads in
// testdata/webhooks/<tool>/*.json, optional <name>.headers, expected output in
// <name>.golden.json, rewritten with -update) and the checks a fuzz test makes
// on a parse. It is imported by tests only.
package ingesttest
